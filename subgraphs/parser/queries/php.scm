; PHP: functions, methods, classes, interfaces, traits, enums, `use` and require/include.

(function_definition
  name: (name) @name
  parameters: (formal_parameters) @params) @definition.function

(method_declaration
  name: (name) @name
  parameters: (formal_parameters) @params) @definition.method

(class_declaration name: (name) @name) @definition.class
(interface_declaration name: (name) @name) @definition.interface
(trait_declaration name: (name) @name) @definition.trait
(enum_declaration name: (name) @name) @definition.enum

(formal_parameters (simple_parameter name: (variable_name) @param))
(formal_parameters (variadic_parameter name: (variable_name) @param))
(formal_parameters (property_promotion_parameter name: (variable_name) @param))

(namespace_use_clause . [(qualified_name) (name)] @import)
(require_expression (string (string_content) @import))
(require_once_expression (string (string_content) @import))
(include_expression (string (string_content) @import))
(include_once_expression (string (string_content) @import))
(require_expression (encapsed_string (string_content) @import))
(require_once_expression (encapsed_string (string_content) @import))
(include_expression (encapsed_string (string_content) @import))
(include_once_expression (encapsed_string (string_content) @import))

; `namespace App\Models;` qualifies the declarations that follow it
(namespace_definition name: (namespace_name) @name !body) @namespace
(namespace_definition name: (namespace_name) @name body: (compound_statement)) @definition.module
