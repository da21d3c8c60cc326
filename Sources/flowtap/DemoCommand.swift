import ArgumentParser
import FlowTapKit

#if canImport(Glibc)
    import Glibc
#endif

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
        let interactive = !headless && !json && isatty(1) == 1 && isatty(0) == 1
        let model = InspectorModel(target: "the built-in demo target")
        let archive = SessionArchive()
        let log = EventQueue(EventLog(format: json ? .json : .text), name: "flowtap.log", keepsBytes: false)
        let demo: Demo
        do {
            demo = try await Demo.start(observers: interactive ? [model, archive] : [model, log])
        } catch {
            throw Failure.runtime(error.description)
        }
        if interactive {
            // The script plays in the background; the UI stays until the user quits.
            let outcome = await UserInterface.run(
                model: model, archive: archive, control: demo.inspector.control
            ) {
                // The title says what each scenario shows.
                await demo.runScript { model.setNotice($0, isError: false) }
            } stop: {
                await demo.stop()
            }
            if case .failed(let message) = outcome {
                throw Failure.runtime("cannot open the terminal UI: \(message) (try --headless)")
            }
        } else {
            await demo.runScript()
            await demo.stop()
        }
        await log.finish(waitingAtMost: .seconds(2))
        FileHandleOutput.stderr(Summary.line(model.snapshot(historyFor: [])) + "\n")
    }
}
