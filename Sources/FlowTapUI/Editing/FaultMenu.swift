import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit

/// The edits `t` takes for the faults of one direction: words separated by spaces, applied to
/// the list shown (numbered from 1) when Enter is pressed.
///
/// | edit | effect |
/// |---|---|
/// | `+KIND=VALUE` | add a fault, e.g. `+latency=200ms` (the forms of ``FaultSpec``, without `DIR:`) |
/// | `-N` | remove the Nth fault shown |
/// | `-KIND=VALUE` | remove the first fault shown that reads so |
/// | `N=KIND=VALUE` | change the Nth fault shown, in place |
/// | `clear` | remove every fault shown |
///
/// Added faults come after the kept ones, in the order typed: `-1 +slice=1` replaces the
/// first fault, `clear +latency=1s` leaves one latency.
public enum FaultMenu {
    /// The hint shown after the typed text.
    public static let hint =
        "+KIND=VALUE add, -N remove, N=KIND=VALUE change, clear; Tab: one/every session; Enter, Esc"

    /// The footer's label for the menu: `faults of server → client #2: 1 latency=200ms 2 slice=1 > `,
    /// or for every session (`session` `nil`) `faults of server → client, every session (new
    /// ones too): none > `.
    public static func label(session: Int?, direction: Direction, active: [Fault], ascii: Bool) -> String {
        let list =
            active.isEmpty
            ? "none" : active.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " ")
        let scope = session.map { " #\($0)" } ?? ", every session (new ones too)"
        return "faults of \(direction.title(ascii: ascii))\(scope): \(list) > "
    }

    /// The faults `text` leaves of `active` on `direction`.
    /// - Throws: ``FaultSpecError`` naming the edit that is wrong (a bad spec keeps the
    ///   parser's own problem).
    public static func apply(
        _ text: String, to active: [Fault], direction: Direction
    ) throws(FaultSpecError) -> [Fault] {
        var kept: [Fault?] = active.map { $0 }
        var added: [Fault] = []
        var touched = Set<Int>()  // removed or changed: refused a second time
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            func fail(_ problem: String) -> FaultSpecError { FaultSpecError(spec: word, problem: problem) }
            func fault(_ spec: String) throws(FaultSpecError) -> Fault {
                do {
                    return try FaultSpec.parse("\(direction.rawValue):\(spec)").fault
                } catch {
                    throw fail(error.problem)
                }
            }
            func index(_ digits: String) throws(FaultSpecError) -> Int {
                guard let n = Int(digits), n >= 1, n <= active.count else {
                    throw fail(
                        active.isEmpty
                            ? "no fault \(digits): there are none"
                            : "no fault \(digits) (1-\(active.count) are shown)")
                }
                guard touched.insert(n - 1).inserted else {
                    throw fail("fault \(n) is already removed or changed")
                }
                return n - 1
            }
            if word == "clear" {
                kept = kept.map { _ in nil }
                touched = Set(active.indices)
            } else if word.hasPrefix("+") {
                added.append(try fault(String(word.dropFirst())))
            } else if word.hasPrefix("-") {
                let rest = String(word.dropFirst())
                if !rest.isEmpty, rest.allSatisfy(\.isASCII), rest.allSatisfy(\.isNumber) {
                    kept[try index(rest)] = nil
                } else {
                    let target = try fault(rest).description
                    guard
                        let found = active.indices.first(where: {
                            !touched.contains($0) && active[$0].description == target
                        })
                    else { throw fail("no active fault \(target)") }
                    touched.insert(found)
                    kept[found] = nil
                }
            } else if let equals = word.firstIndex(of: "="), !word[..<equals].isEmpty,
                word[..<equals].allSatisfy({ $0.isASCII && $0.isNumber })
            {
                let n = try index(String(word[..<equals]))
                kept[n] = try fault(String(word[word.index(after: equals)...]))
            } else {
                throw fail("unknown edit (expected +KIND=VALUE, -N, N=KIND=VALUE or clear)")
            }
        }
        return kept.compactMap { $0 } + added
    }
}
