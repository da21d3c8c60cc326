import FlowEvents

/// The request/reply view of a session's messages: each request followed by the replies that
/// answer it (``MessageRecord/request``), requests in the order they came.
///
/// A message that answers nothing (a request, a push, a pub/sub message) starts a group of its
/// own; a reply whose request is not kept (cut from the list) is shown alone, where it came.
/// Linear in the messages kept.
public enum MessageConversation {
    /// One row of the view.
    public struct Row: Sendable, Equatable {
        /// The message's position in the ``MessageList``.
        public var position: Int
        /// True for a reply shown under its request (drawn indented).
        public var underRequest: Bool

        /// A row for the message at `position`.
        public init(position: Int, underRequest: Bool) {
            self.position = position
            self.underRequest = underRequest
        }
    }

    /// The rows of `list`: every kept message once, each reply right after its request and the
    /// replies before it.
    public static func rows(_ list: MessageList) -> [Row] {
        var groups: [[Row]] = []
        groups.reserveCapacity(list.count)
        // The group of each message that can be answered, by direction and index.
        var groupOf: [Int: Int] = [:]
        func key(_ direction: Direction, _ index: Int) -> Int {
            index.multipliedReportingOverflow(by: 2).partialValue | (direction == .c2s ? 0 : 1)
        }
        for position in list.indices {
            let record = list[position]
            if let request = record.request,
                let group = groupOf[key(record.direction == .c2s ? .s2c : .c2s, request)]
            {
                groups[group].append(Row(position: position, underRequest: true))
                continue
            }
            groupOf[key(record.direction, record.index)] = groups.count
            groups.append([Row(position: position, underRequest: false)])
        }
        return groups.flatMap { $0 }
    }
}
