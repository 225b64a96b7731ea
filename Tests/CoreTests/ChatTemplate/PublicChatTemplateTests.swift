import Testing
@testable import Core

/// The three public templates rendered for system + user + assistant conversations;
/// expected strings worked out by hand from each template's logic.
@Suite struct PublicChatTemplateTests {
    static let conversation = [
        ChatMessage(role: "system", content: "You are a terse assistant."),
        ChatMessage(role: "user", content: "What is 2+2?"),
        ChatMessage(role: "assistant", content: "4."),
        ChatMessage(role: "user", content: "And 3+3?"),
    ]

    @Test func smolLM2WithSystemMessage() throws {
        let template = try ChatTemplate(source: SmolLM2Template.source)
        let text = try template.render(messages: Self.conversation, addGenerationPrompt: true)
        #expect(text == """
            <|im_start|>system
            You are a terse assistant.<|im_end|>
            <|im_start|>user
            What is 2+2?<|im_end|>
            <|im_start|>assistant
            4.<|im_end|>
            <|im_start|>user
            And 3+3?<|im_end|>
            <|im_start|>assistant

            """)
    }

    @Test func smolLM2AddsItsDefaultSystemMessage() throws {
        let template = try ChatTemplate(source: SmolLM2Template.source)
        let text = try template.render(messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
        #expect(text == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func qwen25WithSystemMessage() throws {
        let template = try ChatTemplate(source: Qwen25InstructTemplate.source)
        let withPrompt = try template.render(messages: Self.conversation, addGenerationPrompt: true)
        let expected = "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n4.<|im_end|>\n"
            + "<|im_start|>user\nAnd 3+3?<|im_end|>\n"
        #expect(withPrompt == expected + "<|im_start|>assistant\n")
        #expect(try template.render(messages: Self.conversation, addGenerationPrompt: false) == expected)
    }

    @Test func qwen25DefaultSystemMessage() throws {
        let template = try ChatTemplate(source: Qwen25InstructTemplate.source)
        let text = try template.render(messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true)
        #expect(text == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func qwen25ToolsUseTojson() throws {
        let template = try ChatTemplate(source: Qwen25InstructTemplate.source)
        let tool: TemplateValue = .object([
            "type": "function",
            "function": .object(["name": "get_time", "parameters": .object(["type": "object", "required": .array([])])]),
        ])
        let text = try template.render(
            messages: [ChatMessage(role: "user", content: "Time?")], addGenerationPrompt: true,
            variables: ["tools": .array([tool])])
        let expected = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
            + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
            + "\n{\"function\": {\"name\": \"get_time\", \"parameters\": {\"required\": [], \"type\": \"object\"}}, \"type\": \"function\"}"
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nTime?<|im_end|>\n<|im_start|>assistant\n"
        #expect(text == expected)
    }

    static let deepSeekVariables: [String: TemplateValue] = ["bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"]

    @Test func deepSeekR1DistillWithSystemMessage() throws {
        let template = try ChatTemplate(source: DeepSeekR1DistillQwenTemplate.source)
        let text = try template.render(messages: Self.conversation, addGenerationPrompt: true, variables: Self.deepSeekVariables)
        #expect(text == "<｜begin▁of▁sentence｜>You are a terse assistant.<｜User｜>What is 2+2?<｜Assistant｜>4.<｜end▁of▁sentence｜><｜User｜>And 3+3?<｜Assistant｜><think>\n")
        let noPrompt = try template.render(messages: Self.conversation, addGenerationPrompt: false, variables: Self.deepSeekVariables)
        #expect(noPrompt == "<｜begin▁of▁sentence｜>You are a terse assistant.<｜User｜>What is 2+2?<｜Assistant｜>4.<｜end▁of▁sentence｜><｜User｜>And 3+3?")
    }

    @Test func deepSeekR1DistillDropsReasoningOfPastAnswers() throws {
        let template = try ChatTemplate(source: DeepSeekR1DistillQwenTemplate.source)
        let messages = [
            ChatMessage(role: "user", content: "Hi"),
            ChatMessage(role: "assistant", content: "<think>\nThe user greets.\n</think>\n\nHello!"),
            ChatMessage(role: "tool", content: "42"),
        ]
        let text = try template.render(messages: messages, addGenerationPrompt: true, variables: Self.deepSeekVariables)
        // No system message: empty system prompt. A trailing tool turn closes the tool
        // outputs and suppresses the generation prompt.
        #expect(text == "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>\n\nHello!<｜end▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>42<｜tool▁output▁end｜><｜tool▁outputs▁end｜>")
    }
}
