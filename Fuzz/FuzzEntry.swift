// libFuzzer's entry point for `make fuzz` (scripts/fuzz.sh): compiled into one module with
// the Core sources, so it calls the same `FuzzTarget`s as the seeded runs of `make test`.
// The target is chosen by REALIGN_FUZZ_TARGET; `tokenizer-text` loads the tokenizer of
// the GGUF at REALIGN_MODEL. A broken property aborts, which libFuzzer reports as a crash
// and saves the input.
import Foundation

let selectedTarget: FuzzTarget = {
    let environment = ProcessInfo.processInfo.environment
    let name = environment["REALIGN_FUZZ_TARGET"] ?? ""
    switch name {
    case FuzzTarget.jobDecoder.name: return .jobDecoder
    case FuzzTarget.gguf.name: return .gguf
    case FuzzTarget.safetensors.name: return .safetensors
    case FuzzTarget.tokenizerJSON.name: return .tokenizerJSON
    case "tokenizer-text":
        do {
            let gguf = try GGUFFile(path: environment["REALIGN_MODEL"] ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf")
            return .tokenizerText(try Tokenizer(spec: TokenizerSpec(gguf: gguf)))
        } catch {
            FileHandle.standardError.write(Data("realign-fuzz: cannot load the tokenizer: \(error)\n".utf8))
            exit(2)
        }
    default:
        FileHandle.standardError.write(Data("realign-fuzz: REALIGN_FUZZ_TARGET must be job-decoder, gguf, safetensors, tokenizer-json or tokenizer-text, not '\(name)'\n".utf8))
        exit(2)
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        _ = try selectedTarget.run(input)
    } catch {
        FileHandle.standardError.write(Data("realign-fuzz: \(error)\n".utf8))
        abort()
    }
    return 0
}
