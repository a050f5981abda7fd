; Haskell: functions (adjacent equations merge), `data`/`newtype`, type classes, imports.

(function name: (variable) @name patterns: (patterns) @params) @definition.function
(function name: (variable) @name !patterns) @definition.function
(bind name: (variable) @name) @definition.function

(data_type name: (name) @name) @definition.struct
(newtype name: (name) @name) @definition.struct
(class name: (name) @name) @definition.interface
(class_declarations (signature name: (variable) @name) @definition.method)

(patterns (_) @param)

(import module: (module) @import)
