import Logging
import NIOConcurrencyHelpers
import NIOHTTP1

/// The management socket's routes, independent of the transport:
/// `GET /metrics` and `GET /agent-url`; 404 for other paths, 405 for other methods.
final class ManagementResponder: Sendable {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var headers: [(String, String)] = []
        var body: String
    }

    /// Why the agent's figures are missing from one answer.
    struct AgentTimeout: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(seconds) s" }
    }

    static let routes = ["/metrics", "/agent-url"]

    private let source: any ManagementSource
    private let agentTimeout: Duration
    private let logger: Logger
    /// GetMetrics calls that failed or timed out since the server started.
    private let agentErrors = NIOLockedValueBox<UInt64>(0)

    init(source: any ManagementSource, agentTimeout: Duration, logger: Logger) {
        self.source = source
        self.agentTimeout = agentTimeout
        self.logger = logger
    }

    func respond(method: HTTPMethod, uri: String) async -> Response {
        let path = String(uri.prefix { $0 != "?" && $0 != "#" })
        guard Self.routes.contains(path) else {
            return Response(status: .notFound, body: "404 page not found: \(path)\n")
        }
        guard method == .GET else {
            return Response(status: .methodNotAllowed, headers: [("Allow", "GET")],
                            body: "405 method not allowed: \(path) answers GET only\n")
        }
        switch path {
        case "/metrics":
            return Response(status: .ok, contentType: PrometheusText.contentType, body: await metrics())
        default:
            // As Kata: the address alone, no line feed.
            return Response(status: .ok, body: source.agentURL)
        }
    }

    /// The host's families, `kata_shim_agent_metrics_errors_total`, then the
    /// agent's text as it came (left out when the agent fails or is slow).
    func metrics() async -> String {
        var host = await source.hostMetrics()
        var agentText = ""
        do {
            agentText = try await Self.withTimeout(agentTimeout) { [source] in try await source.agentMetrics() }
            if !agentText.isEmpty && !agentText.hasSuffix("\n") { agentText += "\n" }
        } catch {
            agentErrors.withLockedValue { $0 += 1 }
            logger.warning("metrics: the agent's GetMetrics failed (\(error)); answering with the host's figures only")
        }
        host.add("kata_shim_agent_metrics_errors_total",
                 help: "GetMetrics calls to the agent that failed or timed out (their answers lacked the agent's figures).",
                 type: .counter, value: agentErrors.withLockedValue { $0 })
        return host.text + agentText
    }

    /// The result of `work`, or `AgentTimeout` after `timeout`; `work` is
    /// cancelled then, and a `work` that ignores cancellation is not waited for.
    static func withTimeout<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let continuation = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
        let resume: @Sendable (Result<T, any Error>) -> Bool = { result in
            guard let waiting = continuation.withLockedValue({ box in defer { box = nil }; return box }) else { return false }
            waiting.resume(with: result)
            return true
        }
        let worker = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
        return try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<T, any Error>) in
            continuation.withLockedValue { $0 = waiting }
            worker.withLockedValue { $0 = Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                if resume(result) { timer.withLockedValue { $0?.cancel() } }
            } }
            timer.withLockedValue { $0 = Task {
                do { try await Task.sleep(for: timeout) } catch { return }
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                if resume(.failure(AgentTimeout(seconds: seconds))) { worker.withLockedValue { $0?.cancel() } }
            } }
        }
    }
}
