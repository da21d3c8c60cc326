import ArgumentParser
import FlowTransport

/// `flowtap ca [--ca-dir DIR]`: creates flowtap's local CA if needed, prints the path of its
/// certificate alone on stdout (for `curl --cacert "$(flowtap ca)"`), and on stderr how to
/// trust it.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Create flowtap's local CA if needed and print the path of its certificate (ca.pem).",
        discussion: """
            tls-listen: answers each client with a certificate minted for the name it asks for
            (SNI), signed by this CA. Clients must trust ca.pem; ca.key (mode 0600) never leaves
            the folder. Example:
              curl --cacert "$(flowtap ca)" https://localhost:8443/
            """
    )

    @Option(
        name: .customLong("ca-dir"),
        help: ArgumentHelp(
            "The CA's folder (default $XDG_DATA_HOME/flowtap, else ~/.local/share/flowtap).", valueName: "DIR"
        ))
    var caDirectory: String?

    func run() throws {
        let environment = TLSEnvironment.processEnvironment()
        guard let directory = caDirectory ?? CertificateAuthority.defaultDirectory(environment: environment)
        else {
            throw Failure.usage("no folder for the CA: set HOME or pass --ca-dir DIR")
        }
        let opened: (authority: CertificateAuthority, created: Bool)
        do {
            opened = try CertificateAuthority.openOrCreate(in: directory)
        } catch {
            throw Failure.runtime("cannot set up the CA: \(error)")
        }
        let path = opened.authority.certificatePath
        FileHandleOutput.stdout(path + "\n")
        FileHandleOutput.stderr(
            """
            \(opened.created ? "created" : "using") flowtap's local CA: \(path)
            Trust it in the clients that go through tls-listen:
              curl --cacert \(path) https://HOST:PORT/
              SSL_CERT_FILE=\(path) CLIENT          (OpenSSL-based clients: Python, Ruby, git, …)
              redis-cli --tls --cacert \(path) …
              system-wide (Debian/Ubuntu): sudo cp \(path) /usr/local/share/ca-certificates/flowtap.crt && sudo update-ca-certificates
              a browser: import \(path) as an authority (Settings → Certificates)
            The key (\(opened.authority.keyPath), mode 0600) signs any name: keep it private.

            """)
    }
}
