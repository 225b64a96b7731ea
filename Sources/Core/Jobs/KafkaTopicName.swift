/// Kafka's rule for topic names: 1 to 249 characters of `[a-zA-Z0-9._-]`, and not `.` or
/// `..`.
public enum KafkaTopicName {
    public static let maximumLength = 249

    public static func isLegal(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumLength, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
