; inherits: _ecma
; JavaScript-only patterns.

(field_definition
  property: (property_identifier) @name
  value: [
    (arrow_function parameters: (formal_parameters) @params)
    (function_expression parameters: (formal_parameters) @params)
  ]) @definition.method

; parameters: `a`, `b` (defaults dropped), `...rest`, destructuring patterns as written
(formal_parameters (identifier) @param)
(formal_parameters (assignment_pattern left: (_) @param))
(formal_parameters (rest_pattern) @param)
(formal_parameters (object_pattern) @param)
(formal_parameters (array_pattern) @param)
