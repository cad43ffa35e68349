#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/vhost.h>

int cs_spawn(const char *path, char *const argv[], char *const envp[],
             const int *fd_src, const int *fd_dst, int nfds,
             const char *dir, int flags, pid_t *pid_out) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc;
    // Two passes through descriptors above every source and target, so that a
    // source is never overwritten before it has been copied.
    int scratch = 3;
    for (int i = 0; i < nfds; i++) {
        if (fd_src[i] >= scratch) scratch = fd_src[i] + 1;
        if (fd_dst[i] >= scratch) scratch = fd_dst[i] + 1;
    }

    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) return rc;
    if ((rc = posix_spawnattr_init(&attr)) != 0) { posix_spawn_file_actions_destroy(&fa); return rc; }

    for (int i = 0; i < nfds && rc == 0; i++)
        rc = posix_spawn_file_actions_adddup2(&fa, fd_src[i], scratch + i);
    for (int i = 0; i < nfds && rc == 0; i++)
        rc = posix_spawn_file_actions_adddup2(&fa, scratch + i, fd_dst[i]);
    // Every other descriptor goes: those below the scratch range one by one
    // (glibc ignores EBADF for a close action), the rest with closefrom.
    for (int fd = 0; fd < scratch + nfds && rc == 0; fd++) {
        int named = 0;
        for (int i = 0; i < nfds; i++) if (fd_dst[i] == fd) named = 1;
        if (!named) rc = posix_spawn_file_actions_addclose(&fa, fd);
    }
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&fa, scratch + nfds);
    if (rc == 0 && dir != NULL) rc = posix_spawn_file_actions_addchdir_np(&fa, dir);

    short sflags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (flags & CS_SPAWN_SETSID) sflags |= POSIX_SPAWN_SETSID;
    if (flags & CS_SPAWN_SETPGROUP) sflags |= POSIX_SPAWN_SETPGROUP;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, sflags);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (rc == 0 && (flags & CS_SPAWN_SETPGROUP)) rc = posix_spawnattr_setpgroup(&attr, 0);

    if (rc == 0) rc = posix_spawn(pid_out, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int cs_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int cs_setns(int fd, int nstype) {
    return setns(fd, nstype);
}

int cs_vhost_vsock_set_guest_cid(int fd, uint64_t cid) {
    return ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid);
}

int cs_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int cs_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int64_t cs_peer_uid(int fd) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    return (int64_t)cred.uid;
}

#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>

int cs_vsock_loopback_probe(unsigned int port, char *why, int why_len) {
    int listener = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
        snprintf(why, why_len, "AF_VSOCK socket: %s", strerror(errno));
        return 0;
    }
    struct sockaddr_vm addr;
    memset(&addr, 0, sizeof(addr));
    addr.svm_family = AF_VSOCK;
    addr.svm_cid = VMADDR_CID_ANY;
    addr.svm_port = port;
    if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(listener, 1) != 0) {
        snprintf(why, why_len, "AF_VSOCK bind/listen on port %u: %s", port, strerror(errno));
        close(listener);
        return 0;
    }
    int client = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.svm_cid = VMADDR_CID_LOCAL;
    int ok = client >= 0 && connect(client, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    if (!ok) snprintf(why, why_len, "AF_VSOCK connect to CID 1 (vsock_loopback): %s", strerror(errno));
    if (client >= 0) close(client);
    close(listener);
    return ok;
}
