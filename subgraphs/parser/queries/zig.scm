; Zig: fns, `const X = struct/enum/union {...}` containers, @import.

(Decl
  (FnProto function: (IDENTIFIER) @name (ParamDeclList) @params)
  (Block)) @definition.function

(VarDecl
  variable_type_function: (IDENTIFIER) @name
  (ErrorUnionExpr (SuffixExpr (ContainerDecl (ContainerDeclType . ["struct" "union" "opaque"]))))) @definition.struct

(VarDecl
  variable_type_function: (IDENTIFIER) @name
  (ErrorUnionExpr (SuffixExpr (ContainerDecl (ContainerDeclType . "enum"))))) @definition.enum

(ParamDeclList (ParamDecl parameter: (IDENTIFIER) @param))

((SuffixExpr
   (BUILTINIDENTIFIER) @_builtin
   (FnCallArguments (ErrorUnionExpr (SuffixExpr (STRINGLITERALSINGLE) @import))))
 (#eq? @_builtin "@import"))
