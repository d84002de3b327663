#include "templates/engine.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::templates {
namespace {

std::string render(std::string source, const Value& data, Escape escape = Escape::Html) {
  auto compiled = Template::compile(std::move(source), escape);
  EXPECT_TRUE(compiled.has_value()) << (compiled ? "" : compiled.error());
  return compiled ? compiled->render(data) : "<invalid>";
}

std::string compileError(std::string source) {
  auto compiled = Template::compile(std::move(source));
  EXPECT_FALSE(compiled.has_value());
  return compiled ? "" : compiled.error();
}

TEST(TemplateEngineTest, VariablesAreEscapedForHtmlAndKeptAsTheyAreOtherwise) {
  Value data;
  data.set("name", "<b>\"Tom\" & 'Jerry'</b>");
  EXPECT_EQ(render("Hi {{name}}!", data),
            "Hi &lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;!");
  EXPECT_EQ(render("Hi {{ name }}!", data, Escape::None), "Hi <b>\"Tom\" & 'Jerry'</b>!");
}

TEST(TemplateEngineTest, MissingNamesAndValuesThatAreNotTextPrintNothing) {
  Value data;
  data.set("flag", true);
  data.set("list", Value::list());
  data.set("object", Value());
  EXPECT_EQ(render("[{{missing}}|{{flag}}|{{list}}|{{object}}]", data), "[|||]");
}

TEST(TemplateEngineTest, DottedNamesResolveWithinOneContext) {
  Value client;
  client.set("name", "Element");
  Value data;
  data.set("client", client);
  data.set("name", "outer");
  EXPECT_EQ(render("{{client.name}}/{{client.missing}}/{{name}}", data), "Element//outer");
  // Inside a section, a dotted name that the inner context cannot resolve
  // completely is looked up in the outer ones.
  Value item;
  item.set("client", "a string, not an object");
  Value list = Value::list();
  list.append(item);
  data.set("items", list);
  EXPECT_EQ(render("{{#items}}{{client.name}}{{/items}}", data), "Element");
}

TEST(TemplateEngineTest, SectionsRepeatForListsAndPushObjectsAndText) {
  Value data;
  Value items = Value::list();
  for (const char* word : {"a", "b", "c"}) {
    Value item;
    item.set("word", word);
    items.append(item);
  }
  data.set("items", items);
  data.set("title", "T");
  Value person;
  person.set("title", "Dr");
  data.set("person", person);
  data.set("text", "x<y");
  EXPECT_EQ(render("{{#items}}{{word}}{{title}},{{/items}}", data), "aT,bT,cT,");
  EXPECT_EQ(render("{{#person}}{{title}}{{/person}} {{title}}", data), "Dr T");
  EXPECT_EQ(render("{{#text}}<{{.}}>{{/text}}", data), "<x&lt;y>");
}

TEST(TemplateEngineTest, FalseEmptyListsAndMissingNamesSkipSectionsAndShowInvertedOnes) {
  Value data;
  data.set("no", false);
  data.set("yes", true);
  data.set("none", Value::list());
  data.set("empty_text", "");
  EXPECT_EQ(render("{{#no}}1{{/no}}{{#none}}2{{/none}}{{#missing}}3{{/missing}}", data), "");
  EXPECT_EQ(render("{{^no}}1{{/no}}{{^none}}2{{/none}}{{^missing}}3{{/missing}}", data), "123");
  EXPECT_EQ(render("{{#yes}}1{{/yes}}{{^yes}}2{{/yes}}", data), "1");
  // Text, even empty, is a value: its section shows.
  EXPECT_EQ(render("{{#empty_text}}shown{{/empty_text}}", data), "shown");
}

TEST(TemplateEngineTest, NestedSectionsOfTheSameNameCloseInOrder) {
  Value inner;
  inner.set("x", true);
  Value data;
  data.set("x", inner);
  EXPECT_EQ(render("{{#x}}a{{#x}}b{{/x}}c{{/x}}d", data), "abcd");
}

TEST(TemplateEngineTest, LinesHoldingOnlyTagsOfARenderedSectionLeaveNoBlankLine) {
  Value data;
  data.set("yes", true);
  data.set("no", false);
  data.set("name", "N");
  EXPECT_EQ(render("<ul>\n  {{#yes}}\n  <li>{{name}}</li>\n  {{/yes}}\n</ul>\n", data),
            "<ul>\n  <li>N</li>\n</ul>\n");
  // An inverted section that shows behaves the same.
  EXPECT_EQ(render("<ul>\n  {{^no}}\n  <li>x</li>\n  {{/no}}\n</ul>", data),
            "<ul>\n  <li>x</li>\n</ul>");
  // A skipped section leaves its line's other blanks, as a line with a
  // variable or a comment does.
  EXPECT_EQ(render("a\n  {{#no}}\n  b\n  {{/no}}\nc", data), "a\n  \nc");
  EXPECT_EQ(render("a\n  {{missing}}\n {{! note }}\nc", data), "a\n  \n \nc");
  // Text on the line keeps it.
  EXPECT_EQ(render("a\n<p>{{#yes}}y{{/yes}}</p>\nc", data), "a\n<p>y</p>\nc");
  EXPECT_EQ(render("a\r\n  {{#yes}}\r\nb\r\n  {{/yes}}\r\nc", data), "a\r\nb\r\nc");
}

TEST(TemplateEngineTest, ARenderIsIndependentOfTheOnesBefore) {
  auto compiled = Template::compile("{{#items}}{{.}}{{/items}}|{{name}}");
  ASSERT_TRUE(compiled.has_value());
  Value first;
  first.set("name", "one");
  Value second;
  second.set("name", "two");
  EXPECT_EQ(compiled->render(first), "|one");
  EXPECT_EQ(compiled->render(second), "|two");
}

TEST(TemplateEngineTest, SettingANameAgainReplacesIt) {
  Value data;
  data.set("name", "first");
  data.set("name", "second");
  EXPECT_EQ(render("{{name}}", data), "second");
}

TEST(TemplateEngineTest, MalformedTemplatesAreRefusedWithTheReason) {
  EXPECT_NE(compileError("a {{name").find("unclosed tag"), std::string::npos);
  EXPECT_NE(compileError("{{#a}}x").find("unclosed section \"a\""), std::string::npos);
  EXPECT_NE(compileError("x{{/a}}").find("unopened section \"a\""), std::string::npos);
  EXPECT_NE(compileError("{{#a}}{{#b}}{{/a}}{{/b}}").find("closed by"), std::string::npos);
  EXPECT_NE(compileError("{{}}").find("empty tag"), std::string::npos);
  EXPECT_NE(compileError("{{{raw}}}").find("unsupported"), std::string::npos);
  EXPECT_NE(compileError("{{&raw}}").find("unsupported"), std::string::npos);
  EXPECT_NE(compileError("{{>partial}}").find("unsupported"), std::string::npos);
  EXPECT_NE(compileError("{{=<% %>=}}").find("unsupported"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::templates
