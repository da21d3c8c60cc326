import ArgumentParser
import FlowTransport

/// The TLS options of `proxy` and `replay` (issue 15), and how they make the run's
/// ``TLSEnvironment``.
struct TLSOptionGroup: ParsableArguments {
    @Option(
        name: .customLong("ca-dir"),
        help: ArgumentHelp(
            "The folder of flowtap's local CA (ca.pem, ca.key), created on first use (default $XDG_DATA_HOME/flowtap, else ~/.local/share/flowtap).",
            valueName: "DIR"))
    var caDirectory: String?

    @Option(
        name: .customLong("cert"),
        help: ArgumentHelp(
            "tls-listen: serve this PEM certificate (chain) to every client instead of minting one per name.",
            valueName: "FILE"))
    var certificateFile: String?

    @Option(name: .customLong("key"), help: ArgumentHelp("The PEM private key of --cert.", valueName: "FILE"))
    var keyFile: String?

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp("tls: also trust the CA certificates in this PEM file.", valueName: "FILE"))
    var trustFile: String?

    @Flag(
        name: .customLong("insecure"),
        help: "tls: do not verify the server's certificate (every tls event then says \"verified\": false).")
    var insecure = false

    @Option(
        name: .customLong("keylog"),
        help: ArgumentHelp(
            "Append NSS key log lines of every TLS connection (both legs) to FILE, for Wireshark (default: $SSLKEYLOGFILE).",
            valueName: "FILE"))
    var keyLogFile: String?

    /// The environment for a run from `listen` (nil for none: replay) to `target`, or nil when
    /// neither is a TLS address and the run does not intercept TLS (`--intercept-tls`, which
    /// both serves clients and connects with TLS).
    /// - Throws: ``Failure``: usage (2) for TLS options without a TLS address or a lone
    ///   `--cert`/`--key`; runtime (1) for a file or folder that cannot be used.
    func environment(listen: Address?, target: Address?, intercepting: Bool = false) throws -> TLSEnvironment?
    {
        var servesClients = intercepting
        if case .tlsListen = listen { servesClients = true }
        var connects = intercepting
        if case .tls = target { connects = true }
        let processEnvironment = TLSEnvironment.processEnvironment()
        guard servesClients || connects else {
            let given = [
                caDirectory.map { _ in "--ca-dir" }, certificateFile.map { _ in "--cert" },
                keyFile.map { _ in "--key" }, trustFile.map { _ in "--tls-ca" },
                insecure ? "--insecure" : nil,
                keyLogFile.map { _ in "--keylog" },
            ].compactMap { $0 }
            if let first = given.first {
                throw Failure.usage(
                    "\(first) is a TLS option: use it with a tls-listen: or tls: address, or --intercept-tls")
            }
            return nil
        }
        if (certificateFile == nil) != (keyFile == nil) {
            throw Failure.usage("--cert and --key go together")
        }
        if !servesClients,
            let first = certificateFile.map({ _ in "--cert" }) ?? caDirectory.map({ _ in "--ca-dir" })
        {
            throw Failure.usage("\(first) is for tls-listen: (the certificate flowtap shows its clients)")
        }
        if !connects, let first = trustFile.map({ _ in "--tls-ca" }) ?? (insecure ? "--insecure" : nil) {
            throw Failure.usage("\(first) is for a tls: target (how flowtap checks the server)")
        }
        var options = TLSEnvironment.Options()
        options.caDirectory = caDirectory
        options.certificateFile = certificateFile
        options.keyFile = keyFile
        options.trustFile = trustFile
        options.insecure = insecure
        let fromEnvironment = processEnvironment["SSLKEYLOGFILE"].flatMap { $0.isEmpty ? nil : $0 }
        options.keyLogFile = keyLogFile ?? fromEnvironment
        do {
            return try TLSEnvironment(
                options: options, servesClients: servesClients, environment: processEnvironment)
        } catch {
            throw Failure.runtime("TLS: \(error)")
        }
    }
}
