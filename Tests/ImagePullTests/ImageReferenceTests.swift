import Testing
@testable import ImagePull

@Suite struct ImageReferenceTests {
    @Test func tagAndPort() throws {
        let reference = try ImageReference(parsing: "198.18.7.1:5000/library/busybox:1.36")
        #expect(reference.host == "198.18.7.1")
        #expect(reference.port == 5000)
        #expect(reference.repository == "library/busybox")
        #expect(reference.tag == "1.36")
        #expect(reference.digest == nil)
        #expect(reference.manifestReference == "1.36")
    }

    @Test func defaultTagIsLatest() throws {
        let reference = try ImageReference(parsing: "127.0.0.1:5000/busybox")
        #expect(reference.tag == "latest")
        #expect(reference.description == "127.0.0.1:5000/busybox:latest")
    }

    @Test func digestWithoutTag() throws {
        let hex = String(repeating: "ab", count: 32)
        let reference = try ImageReference(parsing: "10.0.0.1:5000/name@sha256:\(hex)")
        #expect(reference.tag == nil)
        #expect(reference.digest == "sha256:\(hex)")
        #expect(reference.manifestReference == "sha256:\(hex)")
    }

    @Test func portDefaultsTo80AndIPv6() throws {
        #expect(try ImageReference(parsing: "10.1.2.3/a/b:c").port == 80)
        let v6 = try ImageReference(parsing: "[::1]:5000/busybox:1")
        #expect(v6.host == "::1")
        #expect(v6.port == 5000)
    }

    @Test(arguments: [
        ("busybox:1.36", "no registry host"),
        ("library/busybox", "no registry host"),
        ("127.0.0.1:5000/BusyBox", "repository \"BusyBox\""),
        ("127.0.0.1:5000/busybox:", "tag \"\""),
        ("127.0.0.1:5000/busybox@sha256:12", "digest \"sha256:12\""),
        ("127.0.0.1:5000/", "no repository name"),
        ("registry.example.com/busybox", "must be a numeric address"),
    ])
    func refused(reference: String, reason: String) {
        #expect {
            try ImageReference(parsing: reference)
        } throws: { error in
            let description = "\(error)"
            return description.contains("\"\(reference)\"") && description.contains(reason)
                && (error as? ImagePullError)?.kind == .invalidReference
        }
    }
}
