; Kotlin: classes / interfaces / enum classes, objects, functions (extension receivers qualify), imports.

(class_declaration (type_identifier) @name) @definition.class
(class_declaration "interface" (type_identifier) @name) @definition.interface
(class_declaration (type_identifier) @name (enum_class_body)) @definition.enum
(object_declaration (type_identifier) @name) @definition.class

(function_declaration
  receiver: (receiver_type [(user_type (type_identifier) @receiver) (nullable_type (user_type (type_identifier) @receiver))])
  (simple_identifier) @name
  (function_value_parameters) @params) @definition.function

(function_declaration
  !receiver
  (simple_identifier) @name
  (function_value_parameters) @params) @definition.function

(function_value_parameters (parameter (simple_identifier) @param))

(import_header (identifier) @import)
