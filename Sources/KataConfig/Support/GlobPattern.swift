import Glibc

/// glob(3) patterns such as `valid_hypervisor_paths`, matched per path
/// component like Go's `filepath.Glob`. Kata also requires the file to
/// exist (Glob lists the filesystem); this match is on the text alone, and
/// whether the file exists is found out when it is used.
enum GlobPattern {
    static func matches(_ path: String, anyOf patterns: [String]) -> Bool {
        patterns.contains { fnmatch($0, path, FNM_PATHNAME) == 0 }
    }
}
