import Foundation
import Testing

/// A committed expected argv under `Tests/HypervisorTests/Golden/`, one
/// argument per line. `UPDATE_GOLDEN=1` rewrites the file instead of comparing.
struct GoldenFile {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path
    static var updating: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" }

    let name: String
    var path: String { Self.directory + "/" + name + ".argv" }

    init(_ name: String) {
        self.name = name
    }

    /// Compares `argv` with the file (or rewrites it); a difference is
    /// recorded as an issue with a line diff.
    func check(_ argv: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for argument in argv where argument.contains("\n") {
            Issue.record("an argument contains a newline and cannot be stored one per line: \(argument)", sourceLocation: sourceLocation)
        }
        let actual = argv.joined(separator: "\n") + "\n"
        if Self.updating {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("\(path) is missing: run the tests with UPDATE_GOLDEN=1 to write it, and review it", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let diff = Self.diff(expected: Self.lines(expected), actual: argv)
            Issue.record(
                "\(name).argv differs (- golden, + built; rerun with UPDATE_GOLDEN=1 if the change is intended):\n\(diff)",
                sourceLocation: sourceLocation)
        }
    }

    static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A line diff (longest common subsequence), unchanged lines as context
    /// around each change, with the line numbers of the golden file.
    static func diff(expected: [String], actual: [String], context: Int = 2) -> String {
        let n = expected.count, m = actual.count
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        enum Edit { case same(Int, String), removed(Int, String), added(String) }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && expected[i] == actual[j] {
                edits.append(.same(i + 1, expected[i])); i += 1; j += 1
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                edits.append(.removed(i + 1, expected[i])); i += 1
            } else {
                edits.append(.added(actual[j])); j += 1
            }
        }
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        var out: [String] = []
        var lastShown = -1
        for index in edits.indices where changed.contains(where: { abs($0 - index) <= context }) {
            if lastShown >= 0 && index > lastShown + 1 { out.append("   ...") }
            switch edits[index] {
            case .same(let line, let text): out.append(Self.number(line) + "   " + text)
            case .removed(let line, let text): out.append(Self.number(line) + " - " + text)
            case .added(let text): out.append("     + " + text)
            }
            lastShown = index
        }
        return out.joined(separator: "\n")
    }

    private static func number(_ line: Int) -> String {
        let text = String(line)
        return String(repeating: " ", count: max(0, 4 - text.count)) + text
    }
}
