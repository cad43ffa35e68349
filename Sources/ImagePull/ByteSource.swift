import Glibc

/// Something that yields bytes in order: a layer file, or its inflated form.
protocol ByteSource {
    /// Fills the start of `buffer`; 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImagePullError) -> Int
}

/// A file read through its descriptor (the caller closes it).
struct FileByteSource: ByteSource {
    var descriptor: Int32
    /// For messages.
    var name: String

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImagePullError) -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImagePullError(.localFile, "read \(name): \(String(cString: strerror(errno)))")
        }
    }
}

/// Runs `body`, whose error the compiler knows only as `any Error` (it
/// passes through a `rethrows` API such as `withUnsafeMutableBytes`), with
/// its type restored.
func retyped<T>(_ body: () throws -> T) throws(ImagePullError) -> T {
    do {
        return try body()
    } catch let error as ImagePullError {
        throw error
    } catch {
        throw ImagePullError(.localFile, "\(error)")
    }
}
