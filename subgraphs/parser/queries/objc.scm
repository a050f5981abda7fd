; inherits: _c
; Objective-C: @interface (class), @implementation (scope), @protocol, methods, #import / @import.

(class_interface . (identifier) @name) @definition.class
(class_implementation . (identifier) @name) @scope
(protocol_declaration . (identifier) @name) @definition.interface

(method_definition (method_type) . (identifier) @name) @definition.method @params
(method_definition . (identifier) @name) @definition.method @params
(method_declaration (method_type) . (identifier) @name) @definition.method @params
(method_declaration . (identifier) @name) @definition.method @params

(method_parameter (identifier) @param)

(module_import path: (_) @import)
