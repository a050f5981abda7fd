; Dart: classes, mixins, enums, extensions, functions and methods (the body is a sibling of the signature).

(class_definition name: (identifier) @name) @definition.class
(mixin_declaration (identifier) @name) @definition.trait
(enum_declaration name: (identifier) @name) @definition.enum
(extension_declaration name: (identifier) @name) @scope

(program
  (function_signature name: (identifier) @name (formal_parameter_list) @params) @definition.function
  .
  (function_body) @body)

(class_body
  (method_signature (function_signature name: (identifier) @name (formal_parameter_list) @params)) @definition.method
  .
  (function_body) @body)

(class_body
  (method_signature (constructor_signature name: (identifier) @name parameters: (formal_parameter_list) @params)) @definition.method
  .
  (function_body) @body)

(class_body
  (declaration (function_signature name: (identifier) @name (formal_parameter_list) @params)) @definition.method)

(class_body
  (declaration (constructor_signature name: (identifier) @name parameters: (formal_parameter_list) @params)) @definition.method)

(local_function_declaration
  (lambda_expression
    parameters: (function_signature name: (identifier) @name (formal_parameter_list) @params))) @definition.function

(formal_parameter name: (identifier) @param)
(formal_parameter (constructor_param (identifier) @param))

(import_specification (configurable_uri (uri (string_literal) @import)))
