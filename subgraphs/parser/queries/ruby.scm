; Ruby: methods (`def x`, `def self.x`), classes, modules, require / require_relative / load.

(method
  name: (_) @name
  parameters: (method_parameters) @params) @definition.function
(method name: (_) @name !parameters) @definition.function

(singleton_method
  name: (_) @name
  parameters: (method_parameters) @params) @definition.function
(singleton_method name: (_) @name !parameters) @definition.function

(class name: (_) @name) @definition.class
(module name: (_) @name) @definition.module

; parameters as written: `a`, `b` (defaults dropped), `*rest`, `key` (keywords without `:`), `**opts`, `&block`
(method_parameters (identifier) @param)
(method_parameters (optional_parameter name: (identifier) @param))
(method_parameters (keyword_parameter name: (identifier) @param))
(method_parameters (splat_parameter) @param)
(method_parameters (hash_splat_parameter) @param)
(method_parameters (block_parameter) @param)

((call
   method: (identifier) @_method
   arguments: (argument_list . (string (string_content) @import)))
 (#any-of? @_method "require" "require_relative" "load" "autoload"))
