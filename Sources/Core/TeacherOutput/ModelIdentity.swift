/// A model as replies and manifests name it: the name the worker was started with and
/// the hash of the model's content, so targets can be traced to exact weights.
public struct ModelIdentity: Sendable, Equatable, Codable {
    public var name: String
    public var contentHash: String

    public init(name: String, contentHash: String) {
        self.name = name
        self.contentHash = contentHash
    }

    enum CodingKeys: String, CodingKey {
        case name
        case contentHash = "content_hash"
    }
}
