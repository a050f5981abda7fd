; Shared JavaScript / TypeScript / TSX patterns (node names below exist in all three grammars).

(function_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @definition.function

(generator_function_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @definition.function

(class_declaration
  name: (_) @name) @definition.class

(class
  name: (_) @name) @definition.class

; class members become METHODs (a function directly in a class); object-literal members stay FUNCTIONs
(method_definition
  name: (_) @name
  parameters: (formal_parameters) @params) @definition.function

; const f = (a) => ..., const f = function (a) {...}
(variable_declarator
  name: (identifier) @name
  value: [
    (arrow_function parameters: (formal_parameters) @params)
    (arrow_function parameter: (identifier) @params)
    (function_expression parameters: (formal_parameters) @params)
    (generator_function parameters: (formal_parameters) @params)
  ]) @definition.function

; module.exports.f = function (a) {...} / obj.f = (a) => ...
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [
    (arrow_function parameters: (formal_parameters) @params)
    (function_expression parameters: (formal_parameters) @params)
  ]) @definition.function

(arrow_function parameter: (identifier) @param)

; imports
(import_statement source: (string (string_fragment) @import))
(export_statement source: (string (string_fragment) @import))
((call_expression
   function: (identifier) @_require
   arguments: (arguments . (string (string_fragment) @import)))
 (#eq? @_require "require"))
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import)))

; object literal members: { f: function (a) {...}, g: (b) => ... } (shorthand `h(c) {}` is a method_definition)
(pair
  key: (_) @name
  value: [
    (function_expression parameters: (formal_parameters) @params)
    (arrow_function parameters: (formal_parameters) @params)
    (arrow_function parameter: (identifier) @params)
  ]) @definition.function
