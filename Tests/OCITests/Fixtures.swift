/// config.json and process JSON as containerd 1.6 writes them.
enum Fixtures {
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// `ctr run docker.io/library/busybox:latest t1 sh`, with the image's
    /// config applied; a prestart hook and an unknown key thrown in.
    static let ctrRun = """
        {
          "ociVersion": "1.0.2-dev",
          "process": {
            "user": {"uid": 0, "gid": 0, "additionalGids": [10]},
            "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {
              "bounding": \(list(defaultCapabilities)),
              "effective": \(list(defaultCapabilities)),
              "permitted": \(list(defaultCapabilities))
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
          },
          "root": {"path": "rootfs"},
          "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro", "nosuid", "noexec", "nodev"]},
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}
          ],
          "hooks": {"prestart": [{"path": "/usr/bin/true", "args": ["true"]}]},
          "x-vendor-extension": {"anything": [1, 2.5, null, true]},
          "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "cgroupsPath": "/default/t1",
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}],
            "maskedPaths": [
              "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
              "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
            ],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
          }
        }
        """

    /// A Kubernetes container as the CRI plugin writes it: sandbox
    /// namespaces joined by path, annotations, resources, a seccomp profile.
    static let cri = """
        {
          "ociVersion": "1.0.2-dev",
          "process": {
            "user": {"uid": 1000, "gid": 3000, "additionalGids": [3000, 2000]},
            "args": ["/bin/app", "--port=8080"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web-0", "KUBERNETES_SERVICE_PORT=443"],
            "cwd": "/srv",
            "capabilities": {
              "bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
              "effective": ["CAP_NET_BIND_SERVICE"],
              "permitted": ["CAP_NET_BIND_SERVICE"]
            },
            "noNewPrivileges": true,
            "apparmorProfile": "cri-containerd.apparmor.d",
            "oomScoreAdj": 999
          },
          "root": {"path": "rootfs", "readonly": true},
          "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/etc/hosts", "type": "bind",
             "source": "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5f3a/hosts", "options": ["rbind", "rprivate", "rw"]},
            {"destination": "/dev/termination-log", "type": "bind",
             "source": "/var/lib/kubelet/pods/9c1e/containers/web/4d2a", "options": ["rbind", "rprivate", "rw"]}
          ],
          "annotations": {
            "io.kubernetes.cri.container-name": "web",
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
            "io.kubernetes.cri.sandbox-id": "5f3a9d0c2b7e",
            "io.kubernetes.cri.sandbox-name": "web-0",
            "io.kubernetes.cri.sandbox-namespace": "default"
          },
          "linux": {
            "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0"},
            "resources": {
              "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
              "memory": {"limit": 134217728, "swap": 134217728},
              "cpu": {"shares": 102, "quota": 50000, "period": 100000},
              "pids": {"limit": 4096},
              "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
              "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
              "unified": {"memory.high": "max"}
            },
            "cgroupsPath": "kubepods-burstable-pod9c1e.slice:cri-containerd:4d2a",
            "namespaces": [
              {"type": "pid"}, {"type": "ipc", "path": "/proc/4242/ns/ipc"}, {"type": "uts", "path": "/proc/4242/ns/uts"},
              {"type": "mount"}, {"type": "network", "path": "/var/run/netns/cni-1a2b"}
            ],
            "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
            "seccomp": {
              "defaultAction": "SCMP_ACT_ERRNO",
              "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
              "syscalls": [
                {"names": ["accept", "read", "write"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
              ]
            },
            "rootfsPropagation": "rslave",
            "maskedPaths": ["/proc/acpi", "/proc/kcore"],
            "readonlyPaths": ["/proc/bus", "/proc/sys"]
          }
        }
        """

    /// What `ctr task exec --tty --exec-id e1 t1 sh -c 'echo hi'` sends:
    /// the container's process with new args.
    static let exec = """
        {
          "terminal": true,
          "consoleSize": {"height": 40, "width": 120},
          "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [10, 20], "username": "app"},
          "args": ["sh", "-c", "echo hi"],
          "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
          "cwd": "/home/app",
          "capabilities": {
            "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
            "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]
          },
          "rlimits": [
            {"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1024},
            {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}
          ],
          "noNewPrivileges": true,
          "apparmorProfile": "docker-default",
          "oomScoreAdj": -998,
          "selinuxLabel": "system_u:system_r:container_t:s0:c1,c2",
          "scheduler": {"policy": "SCHED_OTHER"}
        }
        """

    static func list(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
