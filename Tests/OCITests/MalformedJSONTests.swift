import OCI
import Testing

/// A document that does not decode says which one, which field and why.
@Suite struct MalformedJSONTests {
    private func failure(_ json: String, source: String = "config.json") -> OCIError? {
        do {
            _ = try OCISpec(json: Array(json.utf8), source: source)
            return nil
        } catch {
            return error
        }
    }

    @Test func wrongType() throws {
        let error = try #require(failure(#"{"process": {"args": "sh -c true"}}"#))
        #expect(error.source == "config.json")
        #expect(error.field == "process.args")
        #expect(error.reason == "expected an array, found a string")
        #expect(error.description == "config.json: process.args: expected an array, found a string")
    }

    @Test func numberOutOfRange() throws {
        let json = #"{"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}, {"containerID": 1, "hostID": -1, "size": 1}]}}"#
        let error = try #require(failure(json, source: "/run/containerd/t1/config.json"))
        #expect(error.field == "linux.uidMappings[1].hostID")
        #expect(error.reason == "expected an integer from 0 to 4294967295, found -1")
        #expect(error.description.hasPrefix("/run/containerd/t1/config.json: linux.uidMappings[1].hostID: "))
    }

    @Test func fractionWhereAnIntegerBelongs() throws {
        let error = try #require(failure(#"{"linux": {"resources": {"cpu": {"shares": 1.5}}}}"#))
        #expect(error.field == "linux.resources.cpu.shares")
    }

    @Test func annotationThatIsNotAString() throws {
        let error = try #require(failure(#"{"annotations": {"io.kubernetes.cri.sandbox-id": 5}}"#))
        #expect(error.field == #"annotations["io.kubernetes.cri.sandbox-id"]"#)
        #expect(error.reason == "expected a string, found 5")
    }

    @Test func notAnObject() throws {
        let error = try #require(failure(#"["ociVersion"]"#))
        #expect(error.field.isEmpty)
        #expect(error.reason == "expected an object, found an array")
    }

    @Test func truncated() throws {
        let error = try #require(failure(#"{"ociVersion": "1.0.2", "process": {"#))
        #expect(error.description == "config.json: not valid JSON")
        #expect(try #require(failure(" \n")).reason == "empty")
    }

    @Test func processAndResourcesNameThemselves() {
        #expect(throws: OCIError(source: "process JSON", field: "user.uid", reason: "expected an integer, found a string")) {
            try OCIProcess(json: Array(#"{"user": {"uid": "0"}}"#.utf8))
        }
        #expect(throws: OCIError(source: "resources JSON", field: "pids", reason: "expected an object, found 5")) {
            try OCIResources(json: Array(#"{"pids": 5}"#.utf8))
        }
    }

    /// `null` is as good as absent, as in Go.
    @Test func nullsAreAbsent() throws {
        let spec = try OCISpec(json: Array(#"{"ociVersion": null, "hostname": null, "mounts": null, "linux": {"namespaces": null}}"#.utf8))
        #expect(spec == OCISpec(linux: OCISpec.Linux()))
    }
}
