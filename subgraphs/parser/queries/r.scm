; R: functions assigned with <-, <<-, = or ->; library / require / source.

(binary_operator
  lhs: [(identifier) (string)] @name
  operator: ["<-" "<<-" "="]
  rhs: (function_definition parameters: (parameters) @params)) @definition.function

(binary_operator
  lhs: (function_definition parameters: (parameters) @params)
  operator: ["->" "->>"]
  rhs: (identifier) @name) @definition.function

(parameters (parameter name: (_) @param))

((call
   function: (identifier) @_function
   arguments: (arguments . (argument value: [(identifier) @import (string (string_content) @import)])))
 (#any-of? @_function "library" "require" "requireNamespace" "source" "loadNamespace"))
