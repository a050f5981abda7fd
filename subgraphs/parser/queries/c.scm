; inherits: _c
; C-only patterns.

(parameter_list (variadic_parameter) @param)
