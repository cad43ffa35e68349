/// Prometheus text exposition format 0.0.4, written family by family: a
/// `# HELP` and a `# TYPE` line, then the family's samples. Label values and
/// help texts are escaped as the format requires.
public struct PrometheusText: Sendable, Equatable {
    /// The content type of the format, as `/metrics` answers it.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum MetricType: String, Sendable {
        case counter, gauge, untyped
    }

    /// One line of a family: labels (name, value) and the value as the format spells it.
    public struct Sample: Sendable, Equatable {
        public var labels: [Label]
        public var value: String

        public init(_ value: UInt64, labels: [Label] = []) {
            self.labels = labels
            self.value = String(value)
        }

        public init(_ value: Int64, labels: [Label] = []) {
            self.labels = labels
            self.value = String(value)
        }

        public init(_ value: Double, labels: [Label] = []) {
            self.labels = labels
            self.value = PrometheusText.format(value)
        }
    }

    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The exposition so far.
    public private(set) var text = ""

    public init() {}

    /// Appends a family. A family without samples writes nothing (as client
    /// libraries do for a vector nobody set).
    public mutating func add(_ name: String, help: String, type: MetricType, samples: [Sample]) {
        assert(Self.isValidMetricName(name), "metric name \(name)")
        guard !samples.isEmpty else { return }
        text += "# HELP \(name) \(Self.escapeHelp(help))\n"
        text += "# TYPE \(name) \(type.rawValue)\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                let labels = sample.labels.map { label in
                    assert(Self.isValidLabelName(label.name), "label name \(label.name)")
                    return "\(label.name)=\"\(Self.escapeLabelValue(label.value))\""
                }
                text += "{" + labels.joined(separator: ",") + "}"
            }
            text += " \(sample.value)\n"
        }
    }

    /// A family with one unlabelled sample.
    public mutating func add(_ name: String, help: String, type: MetricType, value: UInt64) {
        add(name, help: help, type: type, samples: [Sample(value)])
    }

    /// Label values: backslash, double quote and line feed are escaped.
    public static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Help texts: backslash and line feed are escaped (a quote is fine there).
    public static func escapeHelp(_ help: String) -> String {
        var escaped = ""
        for character in help {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    public static func isValidMetricName(_ name: String) -> Bool {
        isName(name, extra: UInt8(ascii: ":"))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    public static func isValidLabelName(_ name: String) -> Bool {
        isName(name, extra: nil)
    }

    private static func isName(_ name: String, extra: UInt8?) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == extra
        }
        return letter(first) && bytes.dropFirst().allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Go's spelling of the special values; whole numbers without a fraction.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 9.0e15 { return String(Int64(value)) }
        return String(value)
    }
}
