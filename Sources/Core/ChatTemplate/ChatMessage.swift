/// One turn of a conversation as jobs and datasets carry it: `role` is `system`, `user`
/// or `assistant`; `content` is the text. The chat template renders a list of these.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
