; inherits: _ecma
; TypeScript additions on top of the JavaScript patterns.

(public_field_definition
  name: (property_identifier) @name
  value: [
    (arrow_function parameters: (formal_parameters) @params)
    (function_expression parameters: (formal_parameters) @params)
  ]) @definition.method

(function_signature
  name: (identifier) @name
  parameters: (formal_parameters) @params) @definition.function

(abstract_class_declaration
  name: (type_identifier) @name) @definition.class

(interface_declaration
  name: (type_identifier) @name) @definition.interface

(enum_declaration
  name: (identifier) @name) @definition.enum

(method_signature
  name: (_) @name
  parameters: (formal_parameters) @params) @definition.method

(abstract_method_signature
  name: (_) @name
  parameters: (formal_parameters) @params) @definition.method

(internal_module
  name: (_) @name) @definition.module

(formal_parameters (required_parameter pattern: (_) @param))
(formal_parameters (optional_parameter pattern: (_) @param))

(import_require_clause source: (string (string_fragment) @import))
