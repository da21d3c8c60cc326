import ArgumentParser
import FlowTapKit

/// `flowtap demo`: a built-in target and a scripted client, to see every state at once.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a built-in target and a scripted client, to try flowtap at once."
    )

    @Flag(help: "No curses UI: print the events (the default when stdout is not a terminal).")
    var headless = false

    @Flag(help: "Events as JSON Lines.")
    var json = false

    func run() async throws {
        let log = EventLog(format: json ? .json : .text)
        let demo = try await Demo.start(observers: [log])
        await demo.runScript()
        await demo.stop()
    }
}
