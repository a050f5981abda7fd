; Python: functions (sync and async), classes, parameters, imports.

(function_definition
  name: (identifier) @name
  parameters: (parameters) @params) @definition.function

(class_definition
  name: (identifier) @name) @definition.class

; parameters as written: `self`, `x`, `*args`, `**kwargs` (`/` and `*` markers are not parameters)
(parameters (identifier) @param)
(parameters (default_parameter name: (identifier) @param))
(parameters (typed_parameter . (identifier) @param))
(parameters (typed_default_parameter name: (identifier) @param))
(parameters (list_splat_pattern) @param)
(parameters (dictionary_splat_pattern) @param)
(parameters (typed_parameter [(list_splat_pattern) (dictionary_splat_pattern)] @param))

; imports: `import a.b` -> "a.b", `from ..a import b` -> "..a", `from . import x` -> "."
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement module_name: (_) @import)
(future_import_statement "__future__" @import)
