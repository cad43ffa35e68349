/// containerd mount options split the way mount(8) and containerd's
/// `mount_linux.go` do: known words become flags, the rest the data string.
struct MountOptions: Equatable {
    var flags: UInt
    var data: [String]

    init(_ options: [String]) {
        var flags: UInt = 0
        var data: [String] = []
        for option in options {
            if let (set, value) = Self.flagWords[option] {
                if set { flags |= value } else { flags &= ~value }
            } else {
                data.append(option)
            }
        }
        self.flags = flags
        self.data = data
    }

    var isBind: Bool { flags & MountFlag.bind != 0 }
    var isReadOnly: Bool { flags & MountFlag.readOnly != 0 }

    // Values of <sys/mount.h>, spelled out so this file needs no C import.
    enum MountFlag {
        static let readOnly: UInt = 1
        static let noSUID: UInt = 2
        static let noDev: UInt = 4
        static let noExec: UInt = 8
        static let synchronous: UInt = 16
        static let remount: UInt = 32
        static let mandatoryLock: UInt = 64
        static let dirSync: UInt = 128
        static let noATime: UInt = 1024
        static let noDirATime: UInt = 2048
        static let bind: UInt = 4096
        static let recursive: UInt = 16384
        static let relATime: UInt = 1 << 21
        static let strictATime: UInt = 1 << 24
    }

    static let flagWords: [String: (Bool, UInt)] = [
        "async": (false, MountFlag.synchronous), "atime": (false, MountFlag.noATime),
        "bind": (true, MountFlag.bind), "defaults": (false, 0), "dev": (false, MountFlag.noDev),
        "diratime": (false, MountFlag.noDirATime), "dirsync": (true, MountFlag.dirSync),
        "exec": (false, MountFlag.noExec), "mand": (true, MountFlag.mandatoryLock),
        "noatime": (true, MountFlag.noATime), "nodev": (true, MountFlag.noDev),
        "nodiratime": (true, MountFlag.noDirATime), "noexec": (true, MountFlag.noExec),
        "nomand": (false, MountFlag.mandatoryLock), "norelatime": (false, MountFlag.relATime),
        "nostrictatime": (false, MountFlag.strictATime), "nosuid": (true, MountFlag.noSUID),
        "rbind": (true, MountFlag.bind | MountFlag.recursive), "relatime": (true, MountFlag.relATime),
        "remount": (true, MountFlag.remount), "ro": (true, MountFlag.readOnly), "rw": (false, MountFlag.readOnly),
        "strictatime": (true, MountFlag.strictATime), "suid": (false, MountFlag.noSUID),
        "sync": (true, MountFlag.synchronous),
    ]
}
