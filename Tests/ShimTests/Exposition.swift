/// A strict reading of the Prometheus text format (0.0.4) for tests: every
/// sample line is `name{labels} value`, names match `[a-zA-Z_:][a-zA-Z0-9_:]*`,
/// every family has its HELP and TYPE before its samples and its lines
/// together, and no series appears twice.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var reason: String
        var description: String { "line \(line) (\(text)): \(reason)" }
    }

    private(set) var samples: [Sample] = []
    private(set) var help: [String: String] = [:]
    private(set) var types: [String: String] = [:]

    init(parsing text: String) throws {
        var finished = Set<String>()
        var current: String?
        var series = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            let number = index + 1
            func fail(_ reason: String) -> Malformed { Malformed(line: number, text: line, reason: reason) }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard words.count >= 3, words[0] == "#", words[1] == "HELP" || words[1] == "TYPE" else { continue }
                let name = words[2]
                guard Self.isMetricName(name) else { throw fail("bad metric name \(name)") }
                guard !finished.contains(name), current != name else {
                    throw fail("\(words[1]) of \(name) after its samples")
                }
                if words[1] == "HELP" {
                    guard help[name] == nil else { throw fail("second HELP for \(name)") }
                    help[name] = words.count > 3 ? words[3] : ""
                } else {
                    guard types[name] == nil else { throw fail("second TYPE for \(name)") }
                    guard words.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3]) else {
                        throw fail("bad TYPE")
                    }
                    types[name] = words[3]
                }
                continue
            }
            let sample = try Self.parseSample(line, fail: fail)
            let family = types[sample.name] != nil ? sample.name : Self.family(of: sample.name)
            guard help[family] != nil, types[family] != nil else { throw fail("sample of \(family) before its HELP and TYPE") }
            if current != family {
                if let current { finished.insert(current) }
                guard !finished.contains(family) else { throw fail("lines of \(family) are not together") }
                current = family
            }
            let key = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
            guard series.insert(key).inserted else { throw fail("series \(key) twice") }
            samples.append(sample)
        }
        guard text.isEmpty || text.hasSuffix("\n") else {
            throw Malformed(line: 0, text: String(text.suffix(40)), reason: "no line feed at the end")
        }
    }

    /// The value of one series.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func samples(named name: String) -> [Sample] { samples.filter { $0.name == name } }

    static func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    static func isMetricName(_ name: String) -> Bool {
        isName(name, colon: true)
    }

    private static func isName(_ name: String, colon: Bool) -> Bool {
        guard let first = name.first else { return false }
        func letter(_ c: Character) -> Bool { (c.isASCII && c.isLetter) || c == "_" || (colon && c == ":") }
        return letter(first) && name.dropFirst().allSatisfy { letter($0) || ($0.isASCII && $0.isNumber) }
    }

    private static func parseSample(_ line: String, fail: (String) -> Malformed) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { throw fail("bad metric name \(name)") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = String(rest.prefix { $0 != "=" })
                guard isName(labelName, colon: false) else { throw fail("bad label name \(labelName)") }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw fail("label \(labelName) without =\"") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let c = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if c == "\"" { break }
                    if c == "\\" {
                        guard let escaped = rest.first else { throw fail("dangling backslash") }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("unknown escape \\\(escaped)")
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard labels.updateValue(value, forKey: labelName) == nil else { throw fail("label \(labelName) twice") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or }") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 1 || (fields.count == 2 && Int64(fields[1]) != nil) else { throw fail("expected a value and an optional timestamp") }
        let value: Double? = switch fields[0] {
        case "NaN": .nan
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(fields[0])
        }
        guard let value else { throw fail("value \(fields[0]) is not a number") }
        return Sample(name: name, labels: labels, value: value)
    }
}
