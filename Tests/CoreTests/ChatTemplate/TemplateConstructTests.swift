import Testing
@testable import Core

/// Each Jinja construct on its own. Expected strings are what jinja2 3.1 renders with
/// Hugging Face's chat-template environment (trim_blocks, lstrip_blocks, loopcontrols,
/// its tojson); `messages` is system S, user U1, assistant A, user U2.
@Suite struct TemplateConstructTests {
    static let messages = [
        ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U1"),
        ChatMessage(role: "assistant", content: "A"), ChatMessage(role: "user", content: "U2"),
    ]

    func render(_ source: String, _ variables: [String: TemplateValue] = [:]) throws -> String {
        try ChatTemplate(source: source).render(messages: Self.messages, addGenerationPrompt: false, variables: variables)
    }

    @Test func whitespaceControlOnBlocks() throws {
        #expect(try render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc")
    }

    @Test func trimBlocksAndLstripBlocks() throws {
        #expect(try render("{% for x in xs %}\n  {{ x }}\n{% endfor %}\n", ["xs": .array([1, 2])]) == "  1\n  2\n")
    }

    @Test func indentedBlockTagsVanish() throws {
        #expect(try render("  {% if true %}\nyes\n  {% endif %}\nafter") == "yes\nafter")
    }

    @Test func arithmeticAndConcatenation() throws {
        #expect(try render("{{ 'a' ~ 1 ~ none }}|{{ 1 + 2 * 3 }}|{{ 7 // 2 }},{{ -7 // 2 }},{{ 7 % 3 }},{{ -7 % 3 }},{{ 7 / 2 }},{{ 2 ** 10 }}|{{ 'ab' * 2 }}") == "a1None|7|3,-4,1,2,3.5,1024|abab")
    }

    @Test func namespaceAttributeAssignment() throws {
        #expect(try render("{% set ns = namespace(count=0, names='') %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.names = ns.names + m.role + ',' %}{% endfor %}{{ ns.count }} {{ ns.names }}") == "4 system,user,assistant,user,")
    }

    @Test func loopVariables() throws {
        #expect(try render("{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex0 }} {% endfor %}") == "01TrueFalse43 12FalseFalse42 23FalseFalse41 34FalseTrue40 ")
    }

    @Test func setInsideLoopDoesNotLeak() throws {
        #expect(try render("{% set x = 1 %}{% for i in [1,2] %}{% set x = i * 10 %}{{ x }},{% endfor %}{{ x }}") == "10,20,1")
    }

    @Test func ifElifElse() throws {
        #expect(try render("{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %};{% endfor %}") == "one;two;many;")
    }

    @Test func stringMethods() throws {
        #expect(try render("{{ '  hi  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'Hello'.upper() }}{{ 'Hello'.lower() }}|{{ 'a-b-c'.replace('-', '+') }}|{{ 'xxhixx'.strip('x') }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ '<think>x</think>answer'.split('</think>')[-1] }}|{{ ', '.join(['a', 'b']) }}|{{ 'abc'.find('c') }}") == "hi|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|True|True|HELLOhello|a+b+c|hi|Hello World|Hello|answer|a, b|2")
    }

    @Test func filters() throws {
        #expect(try render("{{ '  pad  ' | trim }}|{{ messages | length }}|{{ 'abc' | length }}|{{ [1, 'a', none, true] | tojson }}|{{ {'b': 1, 'a': [1.5, 'x\"y\\n']} | tojson }}|{{ undefined_var | default('dflt') }}|{{ [3, 1, 2] | first }}{{ [3, 1, 2] | last }}|{{ ['a', 'b'] | join('-') }}|{{ 'x' | upper }}|{{ {'k': [1, {}]} | tojson(indent=2) }}|{{ '' | default('empty', true) }}|{{ [1, 2] | reverse | list }}|{{ '3' | int + 1 }}|{{ 5 | string ~ '!' }}") == "pad|4|3|[1, \"a\", null, true]|{\"b\": 1, \"a\": [1.5, \"x\\\"y\\n\"]}|dflt|32|a-b|X|{\n  \"k\": [\n    1,\n    {}\n  ]\n}|empty|[2, 1]|4|5!")
    }

    @Test func tests() throws {
        #expect(try render("{{ x is defined }}{{ y is defined }}{{ none is none }}{{ 'a' is string }}{{ 1 is number }}{{ 3 is odd }}{{ 4 is even }}{{ x is not none }}{{ {} is mapping }}{{ 9 is divisibleby(3) }}{{ y is undefined }}{{ [1] is iterable }}{{ x is sameas 1 }}", ["x": 1]) == "TrueFalseTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrue")
    }

    @Test func logicAndMembership() throws {
        #expect(try render("{{ 'ell' in 'hello' }}{{ 2 in [1, 2] }}{{ 'k' in {'k': 1} }}{{ 3 not in [1] }}{{ 0 or 'fallback' }}{{ 'a' and 'b' }}{{ not '' }}{{ not x is defined }}") == "TrueTrueTrueTruefallbackbTrueTrue")
    }

    @Test func subscriptsAndSlices() throws {
        #expect(try render("{{ messages[0]['role'] }}|{{ messages[-1].content }}|{{ 'hello'[1:3] }}|{{ [1,2,3,4][::-1] }}|{{ 'abc'[-1] }}|{{ messages[0].missing is defined }}|{{ messages[1:] | length }}|{{ [1,2,3,4,5][1:4:2] }}|{{ messages[loop_index | default(0) + 1].role }}") == "system|U2|el|[4, 3, 2, 1]|c|False|3|[2, 4]|user")
    }

    @Test func conditionalExpressions() throws {
        #expect(try render("{{ 'yes' if true else 'no' }}{{ 'yes' if false else 'no' }}|{{ 'only' if false }}|") == "yesno||")
    }

    @Test func commentsAndRaw() throws {
        #expect(try render("a{# comment #}b{% raw %}{{ not evaluated }}{% endraw %}c") == "ab{{ not evaluated }}c")
    }

    @Test func breakAndContinue() throws {
        #expect(try render("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}|{{ range(2, 8, 3) | list }}") == "0134|[2, 5]")
    }

    @Test func loopFilterAndElse() throws {
        #expect(try render("{% for i in [1, 2, 3, 4] if i is even %}{{ i }}{{ loop.index }}{% else %}none{% endfor %}|{% for i in [] %}x{% else %}empty{% endfor %}") == "2142|empty")
    }

    @Test func setBlock() throws {
        #expect(try render("{% set greeting %}Hi {{ name }}{% endset %}[{{ greeting }}]", ["name": "Bob"]) == "[Hi Bob]")
    }

    @Test func dictItemsAndTupleUnpacking() throws {
        #expect(try render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% set p, q = [1, 2] %}{{ p + q }}|{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('z', 'd') }}|{{ {'a': 1, 'b': 2}.keys() | list }}") == "a=1;b=2;3|1d|['a', 'b']")
    }

    @Test func printsLikePython() throws {
        #expect(try render("{{ none }} {{ true }} {{ 1.0 }} {{ 2.5 }} {{ [1, 'a', \"it's\"] }} {{ {'a': none} }} {{ undefined_var }}|{{ 10 / 4 }} {{ 1e3 }}") == "None True 1.0 2.5 [1, 'a', \"it's\"] {'a': None} |2.5 1000.0")
    }

    @Test func selectAttributeAndMap() throws {
        #expect(try render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ messages | rejectattr('role', 'equalto', 'user') | list | length }}|{{ [0, 1, 2] | select | list }}") == "U1,U2|2|[1, 2]")
    }

    @Test func chainedComparisons() throws {
        #expect(try render("{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 'a' < 'b' }}{{ 2 >= 2.0 }}{{ 1 == 1.0 }}{{ 'a' != 'a' }}") == "TrueFalseTrueTrueTrueFalse")
    }

    @Test func stringEscapes() throws {
        #expect(try render("{{ 'tab\\there' }}|{{ \"q\\\"d\" }}|{{ 'uni\\u00e9' }}|{{ 'a' 'b' }}") == "tab\there|q\"d|uni\u{E9}|ab")
    }

    @Test func whitespaceControlOnOutput() throws {
        #expect(try render("a \n {{- 'b' -}} \n c") == "abc")
    }

    @Test func lstripWithCommentsAndPlus() throws {
        #expect(try render("x\n    {# c #}\ny\n    {%+ if true %}z{% endif %}") == "x\ny\n    z")
    }
}
