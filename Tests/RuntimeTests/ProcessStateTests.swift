import Runtime
import Testing

@Suite struct ProcessStateTests {
    @Test(arguments: [
        (ProcessState.created, ProcessState.Event.start, ProcessState.running),
        (.running, .pause, .pausing), (.pausing, .paused, .paused), (.paused, .resume, .running),
        (.created, .exit, .stopped), (.running, .exit, .stopped), (.paused, .exit, .stopped), (.stopped, .exit, .stopped),
        (.created, .delete, .deleted), (.stopped, .delete, .deleted),
    ])
    func legalTransitions(from: ProcessState, event: ProcessState.Event, to: ProcessState) throws {
        #expect(try from.after(event) == to)
    }

    @Test(arguments: [
        (ProcessState.running, ProcessState.Event.start, "cannot start a running process"),
        (.stopped, .start, "process already exited: cannot start it again"),
        (.running, .delete, "cannot delete a running process: kill it and wait for its exit first"),
        (.paused, .delete, "cannot delete a paused process: kill it and wait for its exit first"),
        (.created, .pause, "cannot pause a created process"),
        (.running, .resume, "cannot resume a running process"),
        (.deleted, .exit, "process already deleted: cannot exit it"),
        (.deleted, .delete, "process already deleted: cannot delete it"),
    ])
    func illegalTransitionsAreRefused(from: ProcessState, event: ProcessState.Event, message: String) {
        #expect(throws: ProcessState.IllegalTransition(state: from, event: event)) { try from.after(event) }
        #expect(ProcessState.IllegalTransition(state: from, event: event).description == message)
    }

    @Test func containerdStatusNumbers() {
        #expect(ProcessState.created.containerdStatus == 1)
        #expect(ProcessState.running.containerdStatus == 2)
        #expect(ProcessState.stopped.containerdStatus == 3)
        #expect(ProcessState.paused.containerdStatus == 4)
        #expect(ProcessState.pausing.containerdStatus == 5)
    }
}
