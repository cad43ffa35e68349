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

#ifndef CLINUX_TTY_H
#define CLINUX_TTY_H
#ifdef __cplusplus
extern "C" {
#endif
/// A listening unix socket at `path` (for an OCI runtime's --console-socket).
/// Returns the descriptor (CLOEXEC) or -errno.
int cs_unix_listen(const char *path);
/// A unix stream socket (CLOEXEC) connected to `path`, or -errno.
int cs_unix_connect(const char *path);
/// Accepts one connection on `listen_fd` within `timeout_ms` and receives one
/// descriptor sent with SCM_RIGHTS (the pty master crun sends). Returns the
/// descriptor (CLOEXEC) or -errno (-ETIMEDOUT when nobody connected).
int cs_accept_and_receive_fd(int listen_fd, int timeout_ms);
/// TIOCSWINSZ on a terminal descriptor.
int cs_set_window_size(int fd, unsigned short rows, unsigned short columns);
/// F_SETPIPE_SZ (agent.container_pipe_size).
int cs_set_pipe_size(int fd, int size);
#ifdef __cplusplus
}
#endif
#endif

#ifndef CLINUX_NETNS_H
#define CLINUX_NETNS_H
#ifdef __cplusplus
extern "C" {
#endif
/* --- netlink sockets in another network namespace (agent network RPCs) --- */
/// socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, `protocol`) created inside the
/// network namespace at `netns_path` (e.g. /run/netns/NAME). A short-lived
/// thread joins the namespace, creates the socket and exits, so no thread of
/// the caller changes namespace; the socket stays bound to that namespace.
/// Returns the descriptor or -errno.
int cs_netlink_socket_in_netns(const char *netns_path, int protocol);
/// Opens /dev/net/tun inside the network namespace at `netns_path` (on a
/// short-lived thread, like cs_netlink_socket_in_netns) and attaches it to
/// a new tap `name` (EBUSY if one exists): multi-queue, vnet headers, no
/// packet information, not persistent (it goes when the last descriptor closes).
/// Returns the queue's descriptor or -errno.
int cs_open_tap_in_netns(const char *netns_path, const char *name);
#ifdef __cplusplus
}
#endif
#endif

#ifndef CLINUX_MOUNTS_H
#define CLINUX_MOUNTS_H
#ifdef __cplusplus
extern "C" {
#endif
/* --- mounts (the shim's own mount namespace, the sandbox share) --- */
/// unshare(CLONE_NEWNS), then makes every mount a slave of the host's: host
/// mounts still appear, ours never reach the host. Call it while the process
/// has a single thread (CLONE_NEWNS affects only the calling thread's fs
/// context otherwise). Returns 0 or -errno.
int cs_enter_private_mount_namespace(void);
/// mount(2); returns 0 or -errno.
int cs_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
/// umount2(target, MNT_DETACH); returns 0 or -errno.
int cs_umount_detach(const char *target);
/// MS_BIND, MS_REC, MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_RDONLY, MS_REMOUNT as values for Swift.
unsigned long cs_ms_bind(void);
unsigned long cs_ms_rec(void);
unsigned long cs_ms_shared(void);
unsigned long cs_ms_private(void);
unsigned long cs_ms_rdonly(void);
unsigned long cs_ms_remount(void);
#ifdef __cplusplus
}
#endif
#endif
