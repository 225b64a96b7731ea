import Testing
@testable import Core

/// What the renderer refuses, and that it says what and where.
@Suite struct TemplateErrorTests {
    func parseError(_ source: String) -> TemplateError? {
        do {
            _ = try ChatTemplate(source: source)
            return nil
        } catch {
            return error
        }
    }

    func renderError(_ source: String, _ variables: [String: TemplateValue] = [:]) -> TemplateError? {
        do {
            let template = try ChatTemplate(source: source)
            _ = try template.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: false, variables: variables)
            return nil
        } catch {
            return error
        }
    }

    @Test func macroIsNamedAsUnsupported() throws {
        let error = try #require(parseError("ok\n  {% macro greet(name) %}hi{% endmacro %}"))
        #expect(error == TemplateError(.unsupported, "{% macro %} is not supported", at: SourcePosition(line: 2, column: 6)))
        #expect(error.description == "chat template line 2, column 6: unsupported: {% macro %} is not supported")
    }

    @Test func unknownFilterIsRejectedWhenParsing() throws {
        let error = try #require(parseError("{{ messages | frobnicate }}"))
        #expect(error == TemplateError(.unsupported, "unknown filter 'frobnicate'", at: SourcePosition(line: 1, column: 15)))
    }

    @Test func unknownTestAndFunctionAndMethod() throws {
        #expect(parseError("{% if x is prime %}{% endif %}")?.message == "unknown test 'prime'")
        let function = try #require(renderError("{{ strftime_now('%Y') }}"))
        #expect(function.kind == .unsupported)
        #expect(function.message == "unknown function 'strftime_now'")
        #expect(renderError("{{ 'a'.zfill(3) }}")?.message == "unknown method 'zfill' on str")
    }

    @Test func raiseExceptionCarriesTheTemplatesMessage() throws {
        let source = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('Conversation must start with system') }}{% endif %}"
        let error = try #require(renderError(source))
        #expect(error.kind == .raised)
        #expect(error.message == "Conversation must start with system")
        #expect(error.column == 44)
    }

    @Test func syntaxErrorsSayWhere() throws {
        let unclosed = try #require(parseError("{% if true %}never closed"))
        #expect(unclosed.kind == .syntax)
        #expect(unclosed.message == "{% if %} is not closed (expected elif or else or endif)")
        let badExpression = try #require(parseError("line one\n{{ 1 + * 2 }}"))
        #expect(badExpression == TemplateError(.syntax, "expected an expression, found '*'", at: SourcePosition(line: 2, column: 8)))
        #expect(parseError("{% endfor %}")?.message == "unexpected {% endfor %}")
        #expect(parseError("{{ 'open }}")?.message == "string is not closed")
        #expect(parseError("{{ x ")?.message == "tag is not closed with }}")
    }

    @Test func runtimeTypeErrors() throws {
        #expect(renderError("{{ 'a' + 1 }}")?.message == "unsupported operand type(s) for +: 'str' and 'int'")
        let undefinedAttribute = try #require(renderError("{{ missing.role }}"))
        #expect(undefinedAttribute.kind == .runtime)
        #expect(undefinedAttribute.message == "'missing' is undefined (reading attribute 'role')")
        #expect(renderError("{% set x.y = 1 %}", ["x": 1])?.message == "cannot set attribute 'y' on 'x': it is not a namespace()")
        #expect(renderError("{% for x in 5 %}{% endfor %}")?.message == "'int' object is not iterable")
        #expect(renderError("{% break %}")?.message == "{% break %} outside a loop")
    }
}
