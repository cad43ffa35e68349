import Foundation
import Testing
@testable import KataConfig

/// cc_init_data: decoding, digests against coreutils, the disk image in
/// Kata's layout, the TEE encodings.
@Suite struct InitDataTests {
    static let policy = """
        package agent_policy

        default AllowRequestsFailingPolicy := false
        default CreateContainerRequest := true
        default ExecProcessRequest := false
        """

    static func document(_ algorithm: String) -> String {
        """
        version = "0.1.0"
        algorithm = "\(algorithm)"

        [data]
        "aa.toml" = '''
        [token_configs.kbs]
        url = "http://kbs.example:8080"
        '''
        "policy.rego" = '''
        \(policy)
        '''
        """
    }

    /// base64(gzip(text)) as genpolicy writes the annotation.
    static func annotation(_ text: String) throws -> (value: String, gzip: Data) {
        let gzip = try Tool.gzip(Data(text.utf8))
        return (gzip.base64EncodedString(), gzip)
    }

    @Test(arguments: ["sha256", "sha384", "sha512"])
    func decodesAndDigestsLikeCoreutils(_ algorithm: String) throws {
        let text = Self.document(algorithm)
        let (value, gzip) = try Self.annotation(text)
        let initData = try InitData(annotation: value)
        #expect(initData.toml == text)
        #expect(initData.version == "0.1.0")
        #expect(initData.algorithm.rawValue == algorithm)
        #expect(initData.policy == Self.policy + "\n")
        #expect(initData.data.keys.sorted() == ["aa.toml", "policy.rego"])
        #expect(initData.compressed == [UInt8](gzip))
        #expect(initData.digestHex == (try Tool.digest(algorithm, Data(text.utf8))))
        #expect(initData.digest.count == ["sha256": 32, "sha384": 48, "sha512": 64][algorithm])
    }

    @Test func throughTheAnnotation() throws {
        let (value, _) = try Self.annotation(Self.document("sha384"))
        var c = KataConfiguration()
        c.hypervisor.image = "/i"
        c.hypervisor.sharedFS = .none
        c.hypervisor.enableAnnotations = ["cc_init_data"]
        let s = try SandboxAnnotations(["io.katacontainers.config.hypervisor.cc_init_data": value]).apply(
            to: c, configurationFile: "c.toml",
            host: HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 1, memoryMiB: 1024))
        #expect(s.initData?.policy == Self.policy + "\n")
        // Empty means none, as in Kata.
        let empty = try SandboxAnnotations(["io.katacontainers.config.hypervisor.cc_init_data": ""]).apply(
            to: c, configurationFile: "c.toml",
            host: HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 1, memoryMiB: 1024))
        #expect(empty.initData == nil)
    }

    /// Read back as Kata's guest reads it: magic, little-endian length, gzip
    /// stream, zeros to 512 bytes; gunzip gives the document.
    @Test func diskImageInKatasLayout() throws {
        let text = Self.document("sha256")
        let (value, gzip) = try Self.annotation(text)
        let image = try InitData(annotation: value).diskImage()
        #expect(image.count % 512 == 0)
        #expect(image.count >= 16 + gzip.count && image.count < 16 + gzip.count + 512)
        #expect(Array(image[0..<8]) == Array("initdata".utf8))
        let length = image[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        #expect(length == UInt64(gzip.count))
        let payload = Data(image[16..<(16 + Int(length))])
        #expect(payload == gzip)
        #expect(image[(16 + Int(length))...].allSatisfy { $0 == 0 })
        #expect(String(decoding: try Tool.gunzip(payload), as: UTF8.self) == text)
        #expect(InitData.payload(ofDiskImage: image) == [UInt8](gzip))
    }

    @Test func diskImageOfExactlyOneSector() throws {
        var initData = try InitData(annotation: try Self.annotation(Self.document("sha256")).value)
        initData.compressed = [UInt8](repeating: 7, count: 512 - 16)
        #expect(initData.diskImage().count == 512)
    }

    /// TDX mrconfigid is 48 bytes, SNP host-data 32: shorter digests are
    /// zero-padded, longer ones cut.
    @Test func teeEncodings() throws {
        for algorithm in ["sha256", "sha384", "sha512"] {
            let initData = try InitData(annotation: try Self.annotation(Self.document(algorithm)).value)
            let mrconfigid = try #require(Data(base64Encoded: initData.tdxMRConfigID))
            let hostData = try #require(Data(base64Encoded: initData.snpHostData))
            #expect(mrconfigid.count == 48)
            #expect(hostData.count == 32)
            let digest = Data(initData.digest)
            #expect(mrconfigid == (digest + Data(count: max(0, 48 - digest.count))).prefix(48))
            #expect(hostData == digest.prefix(32))
        }
    }

    /// Multi-member gzip streams are read whole, as Go's gzip.Reader does.
    @Test func multiMemberGzip() throws {
        let a = try Tool.gzip(Data("version = \"0.1.0\"\n".utf8))
        let b = try Tool.gzip(Data("algorithm = \"sha256\"\n".utf8))
        let initData = try InitData(annotation: (a + b).base64EncodedString())
        #expect(initData.toml == "version = \"0.1.0\"\nalgorithm = \"sha256\"\n")
        #expect(initData.policy == nil)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var document: String
        var error: String
        var testDescription: String { error }
    }

    static let badDocuments: [Bad] = [
        Bad(document: "version = \"0.1.0\"\n[data]\n", error: "has no algorithm (found nothing): set algorithm to one of \"sha256\", \"sha384\", \"sha512\""),
        Bad(document: "algorithm = \"md5\"\n", error: "names algorithm \"md5\": use one of \"sha256\", \"sha384\", \"sha512\""),
        Bad(document: "algorithm = 256\n", error: "has no algorithm (found integer 256): set algorithm to one of \"sha256\", \"sha384\", \"sha512\""),
        Bad(document: "version = 1\nalgorithm = \"sha256\"\n", error: "has version as integer 1: write version = \"0.1.0\""),
        Bad(document: "algorithm = \"sha256\"\n[data]\n\"policy.rego\" = 3\n", error: "has data.\"policy.rego\" as integer 3: every [data] entry must be a string"),
        Bad(document: "algorithm = \"sha256\"\ndata = \"x\"\n", error: "has data as string \"x\": [data] must be a table of strings"),
    ]

    @Test(arguments: badDocuments)
    func refusedDocuments(_ bad: Bad) throws {
        let (value, _) = try Self.annotation(bad.document)
        #expect(throws: InitDataError(bad.error)) { try InitData(annotation: value) }
    }

    @Test func refusedTOML() throws {
        let (value, _) = try Self.annotation("algorithm = \n")
        do {
            _ = try InitData(annotation: value)
            Issue.record("accepted invalid TOML")
        } catch {
            #expect(error.message == #"holds invalid TOML: line 1, column 13: Error while parsing key-value pair: expected value, saw '\n'"#)
        }
    }

    @Test func gzipBombIsRefused() throws {
        let zeros = Data(count: InitData.maximumSize + 1)
        let value = try Tool.gzip(zeros).base64EncodedString()
        #expect(throws: InitDataError("decompresses to more than 16 MiB")) { try InitData(annotation: value) }
    }
}
