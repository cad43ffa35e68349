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

/* --- console socket and terminal size ----------------------------------- */
#include <poll.h>
#include <sys/un.h>
#include <termios.h>

int cs_unix_listen(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) { close(fd); return -ENAMETOOLONG; }
    strcpy(addr.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cs_unix_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) { close(fd); return -ENAMETOOLONG; }
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cs_accept_and_receive_fd(int listen_fd, int timeout_ms) {
    struct pollfd p = { .fd = listen_fd, .events = POLLIN };
    int n = poll(&p, 1, timeout_ms);
    if (n == 0) return -ETIMEDOUT;
    if (n < 0) return -errno;
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return -errno;
    char data[256];
    struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    struct pollfd q = { .fd = conn, .events = POLLIN };
    if (poll(&q, 1, timeout_ms) <= 0) { close(conn); return -ETIMEDOUT; }
    ssize_t got = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    int e = errno;
    close(conn);
    if (got < 0) return -e;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

int cs_set_pipe_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

int cs_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize ws = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &ws);
}

/* --- sockets and taps in another network namespace --- */
#include <pthread.h>
#include <linux/if.h>
#include <linux/if_tun.h>

/// Joins the network namespace at `path` on the calling thread. Called only
/// on the short-lived threads below: the namespace ends with the thread.
static int cs_join_netns(const char *path) {
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return -errno;
    int rc = setns(ns, CLONE_NEWNET) == 0 ? 0 : -errno;
    close(ns);
    return rc;
}

/// Runs `body(job)` on a thread of its own and waits for it.
static int cs_on_own_thread(void *(*body)(void *), void *job) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, body, job);
    if (rc != 0) return -rc;
    rc = pthread_join(thread, NULL);
    return rc == 0 ? 0 : -rc;
}

struct cs_netns_job {
    const char *path;
    const char *tap_name;  /* a tap's name, or NULL for a netlink socket */
    int protocol;
    int result;
};

static void *cs_netns_thread(void *arg) {
    struct cs_netns_job *job = arg;
    int rc = cs_join_netns(job->path);
    if (rc != 0) { job->result = rc; return NULL; }
    if (job->tap_name == NULL) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, job->protocol);
        job->result = fd < 0 ? -errno : fd;
        return NULL;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) { job->result = -errno; return NULL; }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    // Kata's tap: multi-queue with virtio-net headers, no packet
    // information; never a queue of someone else's tap of that name.
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE | IFF_TUN_EXCL;
    strncpy(request.ifr_name, job->tap_name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) != 0) {
        job->result = -errno;
        close(fd);
        return NULL;
    }
    job->result = fd;
    return NULL;
}

int cs_netlink_socket_in_netns(const char *netns_path, int protocol) {
    struct cs_netns_job job = { .path = netns_path, .tap_name = NULL, .protocol = protocol, .result = -EINVAL };
    int rc = cs_on_own_thread(cs_netns_thread, &job);
    return rc != 0 ? rc : job.result;
}

int cs_open_tap_in_netns(const char *netns_path, const char *name) {
    struct cs_netns_job job = { .path = netns_path, .tap_name = name, .protocol = 0, .result = -EINVAL };
    int rc = cs_on_own_thread(cs_netns_thread, &job);
    return rc != 0 ? rc : job.result;
}

/* --- mounts --- */
#include <sys/mount.h>

int cs_enter_private_mount_namespace(void) {
    if (unshare(CLONE_NEWNS) != 0) return -errno;
    if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) return -errno;
    return 0;
}

int cs_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data) == 0 ? 0 : -errno;
}

int cs_umount_detach(const char *target) {
    return umount2(target, MNT_DETACH) == 0 ? 0 : -errno;
}

unsigned long cs_ms_bind(void) { return MS_BIND; }
unsigned long cs_ms_rec(void) { return MS_REC; }
unsigned long cs_ms_shared(void) { return MS_SHARED; }
unsigned long cs_ms_private(void) { return MS_PRIVATE; }
unsigned long cs_ms_rdonly(void) { return MS_RDONLY; }
unsigned long cs_ms_remount(void) { return MS_REMOUNT; }
