#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Spawns `path` with exactly the descriptors in the map: `fd_src[i]` becomes
/// `fd_dst[i]` in the child and every other descriptor above 2 is closed.
/// 0, 1 and 2 must be part of the map (or are closed too). `dir` may be NULL.
/// `flags`: CS_SPAWN_SETSID and/or CS_SPAWN_SETPGROUP.
/// Returns 0 and the pid, or an errno value.
int cs_spawn(const char *path, char *const argv[], char *const envp[],
             const int *fd_src, const int *fd_dst, int nfds,
             const char *dir, int flags, pid_t *pid_out);

#define CS_SPAWN_SETSID 1
#define CS_SPAWN_SETPGROUP 2

/// pidfd_open(2): a descriptor that becomes readable when the process exits.
int cs_pidfd_open(pid_t pid);

/// setns(2) on an open namespace descriptor (`nstype` 0 accepts any).
int cs_setns(int fd, int nstype);

/// VHOST_VSOCK_SET_GUEST_CID on an open /dev/vhost-vsock descriptor.
int cs_vhost_vsock_set_guest_cid(int fd, uint64_t cid);

/// pipe2(2) with O_CLOEXEC.
int cs_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_CHILD_SUBREAPER, 1).
int cs_set_child_subreaper(void);

/// The uid of the peer of a connected unix socket (SO_PEERCRED), or -1.
int64_t cs_peer_uid(int fd);

#ifdef __cplusplus
}
#endif

#endif

#ifndef CLINUX_VSOCK_H
#define CLINUX_VSOCK_H
#ifdef __cplusplus
extern "C" {
#endif
/// Whether AF_VSOCK connections to this machine's own CID work (the
/// vsock_loopback transport): 1 if a listener on `port` accepts a connection
/// to CID 1, else 0 with a reason in `why` (at most `why_len` bytes).
int cs_vsock_loopback_probe(unsigned int port, char *why, int why_len);
#ifdef __cplusplus
}
#endif
#endif
