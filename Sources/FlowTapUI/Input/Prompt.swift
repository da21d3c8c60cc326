import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit

/// The line being typed in the footer: a search query after `/`, a capture's file name after
/// `w`, edits to a direction's faults after `t` (see ``FaultMenu``), a breakpoint after `b`, a
/// yes/no question, or why a prompt could not open. Enter confirms, Esc cancels, Backspace
/// deletes; the prompt takes every key until then.
public struct Prompt: Sendable, Equatable {
    /// What the line is for.
    public enum Purpose: Sendable, Equatable {
        /// A search query (see ``SearchPattern``).
        case search
        /// The path of the capture to write.
        case save
        /// Whether to replace the existing file at `path` with the capture (`y` replaces).
        case overwrite(path: String)
        /// Edits to the faults of one direction of a live session, or with `session` `nil` of
        /// every session, live and new (Tab switches); `active` is the list shown (numbered
        /// from 1) when the menu opened or switched.
        case faults(session: Int?, direction: Direction, active: [Fault])
        /// A breakpoint to add, or to remove when it is in force (`b`): `[c2s:|s2c:]REGEX`.
        case breakpoint
        /// Why a key that opens a prompt or editor (`t`, `e`, `i`, `b`) cannot act: shown until
        /// Enter or Esc, and every key typed meanwhile is swallowed (what was meant for the
        /// prompt never runs as a command).
        case refused(reason: String)
        /// Whether to quit though `held` chunks are held (`y` quits: they are never sent).
        case quit(held: Int)
        /// The session list's filter (`F`): client, target or state words; empty lists all.
        case filter
    }

    /// What the line is for.
    public var purpose: Purpose
    /// The text typed so far.
    public var text: String

    /// A prompt for `purpose`, starting with `text`.
    public init(_ purpose: Purpose, text: String = "") {
        self.purpose = purpose
        self.text = text
    }
}
