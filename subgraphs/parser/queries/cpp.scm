; inherits: _c
; C++ additions: classes, namespaces, methods (in-class and out-of-line `Type::name`), destructors.

(function_definition
  declarator: (function_declarator
    declarator: [(field_identifier) (destructor_name) (operator_name)] @name
    parameters: (parameter_list) @params)) @definition.function

(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: [(identifier) (field_identifier) (operator_name)] @name
      parameters: (parameter_list) @params))) @definition.function

; out-of-line definitions: `double geo::Shape::area() const {...}` -> geo.Shape.area
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      scope: (_) @receiver
      name: [(identifier) (destructor_name) (operator_name)] @name)
    parameters: (parameter_list) @params)) @definition.method

(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      scope: (_) @receiver
      name: (qualified_identifier) @name)
    parameters: (parameter_list) @params)) @definition.method

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (qualified_identifier scope: (_) @receiver name: (identifier) @name)
      parameters: (parameter_list) @params))) @definition.method

(class_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.class

(namespace_definition
  name: (_) @name) @definition.module

(parameter_declaration declarator: (reference_declarator (identifier) @param))
(optional_parameter_declaration declarator: (identifier) @param)
(optional_parameter_declaration declarator: (pointer_declarator declarator: (identifier) @param))
(optional_parameter_declaration declarator: (reference_declarator (identifier) @param))
(variadic_parameter_declaration declarator: (_) @param)
