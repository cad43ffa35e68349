extension ProcessIO {
    /// Agent output → sink, until the agent says end of file or fails, or
    /// `close()`. A broken sink discards, so the process is never stuck on
    /// output nobody reads.
    func copyOutput(to sink: any OutputSink, endsStdin: Bool,
                    read: @escaping @Sendable (Int) async throws -> [UInt8]?) async {
        while !Task.isCancelled {
            // nil: end of file, or an error (the VM or the agent went away).
            guard let chunk = try? await read(Self.chunkSize) else { break }
            if !chunk.isEmpty { _ = await sink.write(chunk) }
        }
        // containerd's reader sees end of file once our descriptor is closed.
        await sink.close()
        // As Kata does: with stdout done, nobody is left to read stdin.
        if endsStdin { await parts.stdin?.close() }
        let last = state.withLockedValue { state -> Bool in
            state.outputsRunning -= 1
            return state.outputsRunning == 0
        }
        if last { outputEnded.fire() }
    }

    /// containerd's stdin → WriteStdin, chunk by chunk, until end of file, a
    /// failed write, or the source is closed; then the guest's stdin is closed
    /// as runc's shim does at end of file (`ctr task exec` sends no CloseIO).
    func copyStdin(from source: StdinSource, to streams: any ProcessStreams) async {
        await source.forEachChunk(of: Self.chunkSize) { chunk in
            try await streams.writeStdin(chunk)
        }
        stdinEnded.fire()
        await closeGuestStdin(streams)
    }
}
