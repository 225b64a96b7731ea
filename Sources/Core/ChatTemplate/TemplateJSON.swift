/// `tojson` as Hugging Face's chat templates define it: Python's `json.dumps` with
/// `ensure_ascii=False` (separators `", "` and `": "`, or `","` between items when indenting).
enum TemplateJSON {
    static func encode(_ value: TemplateRuntimeValue, indent: Int?, sortKeys: Bool, at position: SourcePosition) throws(TemplateError) -> String {
        var output = ""
        try write(value, indent: indent, sortKeys: sortKeys, level: 0, into: &output, at: position)
        return output
    }

    private static func write(
        _ value: TemplateRuntimeValue, indent: Int?, sortKeys: Bool, level: Int, into output: inout String, at position: SourcePosition
    ) throws(TemplateError) {
        switch value {
        case .none: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .int(let int): output += String(int)
        case .double(let double):
            if double.isNaN { output += "NaN" } else if double.isInfinite { output += double > 0 ? "Infinity" : "-Infinity" } else {
                output += TemplateRuntimeValue.pythonFloat(double)
            }
        case .string(let string): writeString(string, into: &output)
        case .list(let items):
            try writeContainer(open: "[", close: "]", count: items.count, indent: indent, level: level, into: &output) { (index: Int, output: inout String) throws(TemplateError) in
                try write(items[index], indent: indent, sortKeys: sortKeys, level: level + 1, into: &output, at: position)
            }
        case .dictionary(let dictionary):
            let keys = sortKeys ? dictionary.keys.sorted() : dictionary.keys
            try writeContainer(open: "{", close: "}", count: keys.count, indent: indent, level: level, into: &output) { (index: Int, output: inout String) throws(TemplateError) in
                writeString(keys[index], into: &output)
                output += ": "
                try write(dictionary[keys[index]]!, indent: indent, sortKeys: sortKeys, level: level + 1, into: &output, at: position)
            }
        case .undefined(let reason):
            throw TemplateError(.runtime, "\(reason) (tojson of an undefined value)", at: position)
        case .namespace:
            throw TemplateError(.runtime, "a namespace is not JSON serializable", at: position)
        }
    }

    private static func writeContainer(
        open: String, close: String, count: Int, indent: Int?, level: Int, into output: inout String,
        element: (Int, inout String) throws(TemplateError) -> Void
    ) throws(TemplateError) {
        output += open
        guard count > 0 else {
            output += close
            return
        }
        for index in 0..<count {
            if let indent {
                output += (index == 0 ? "" : ",") + "\n" + String(repeating: " ", count: indent * (level + 1))
            } else if index > 0 {
                output += ", "
            }
            try element(index, &output)
        }
        if let indent { output += "\n" + String(repeating: " ", count: indent * level) }
        output += close
    }

    private static func writeString(_ string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
