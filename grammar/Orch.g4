// The orch language (HCL syntax): parser rules.
//
// Tokens come from the hand-written scanner in compiler/lex.cc (HCL's lexical structure is
// context-sensitive: nested string templates, heredocs, legacy `.0` indexes), prepared by
// compiler/parse_tokens.cc: comments dropped; newlines kept only where they end attributes
// (inside `{ }` bodies and object constructors, not inside `( )`, `[ ]`, `${ }` or `{for ...}`),
// runs of newlines collapsed into one NL, an NL inserted before EOF; a quoted string without
// interpolation turned into one STRING token; `%{` plus its keyword turned into one CTRL_* token;
// a name directly followed by `(` turned into FUNCTION_NAME; and the contextual keywords `for in if` given keyword types only where they are keywords
// (`[for x in ...`, `... if cond]`): everywhere else they are ordinary names (IDENT).
//
// Every decision of this grammar is LL(1): ANTLR generates a switch on the next token for each
// one and never runs its adaptive prediction, which is what makes parsing fast. That is why
// binary operators are parsed as a flat list (the AST builder applies HCL's precedence) and why
// list, call and object separators are checked by the AST builder (compiler/parse_build.cc),
// not here: `[a, , b]` and `{ a = 1 b = 2 }` parse, and the builder reports them.
//
// The parser recurses only through brackets, templates, unary operators and conditionals; the
// token preparation bounds all of those before parsing, so hostile nesting cannot overflow the
// stack.
grammar Orch;

tokens {
  NL, IDENT, FUNCTION_NAME, NUMBER, STRING,
  OQUOTE, CQUOTE, OHEREDOC, CHEREDOC,
  TEMPLATE_LIT, TEMPLATE_INTERP, TEMPLATE_SEAL,
  CTRL_IF, CTRL_ELSE, CTRL_ENDIF, CTRL_FOR, CTRL_ENDFOR,
  LBRACE, RBRACE, LBRACK, RBRACK, LPAREN, RPAREN,
  COMMA, DOT, ELLIPSIS, COLON, QUESTION, ASSIGN, ARROW,
  PLUS, MINUS, STAR, SLASH, PERCENT,
  EQ, NEQ, LT, LE, GT, GE, AND, OR, NOT,
  FOR, IN, IF,
  TEMPLATE_CONTROL
}

// ---- Entry points

configFile : NL? bodyItem* EOF ;
expressionOnly : NL? expression NL? EOF ;
templateOnly : templateBody EOF ;

// ---- Bodies
//
// An attribute `name = value` or a block `type label... { body }`, each ending with a newline.
// A block's body is either on its own lines or one attribute (or nothing) on the block's line.

bodyItem : IDENT (ASSIGN expression | blockLabel* LBRACE blockBody RBRACE) NL ;
blockLabel : IDENT | STRING | OQUOTE templateBody CQUOTE ;
blockBody : NL bodyItem* | (IDENT ASSIGN expression)? ;

// ---- Expressions
//
// Operands joined by binary operators (precedence is applied by the AST builder), optionally
// followed by a conditional. An operand is a primary expression with its traversals (`.name`,
// `.0`, `.*`, `[*]`, `[index]`), or a unary operator applied to an operand.

expression
  : operand
    ((STAR | SLASH | PERCENT | PLUS | MINUS | LT | LE | GT | GE | EQ | NEQ | AND | OR) operand)*
    (QUESTION expression COLON expression)?
  ;

operand
  : (NOT | MINUS) operand
  | primary (DOT (IDENT | NUMBER | STAR) | LBRACK (STAR | expression) RBRACK)*
  ;

primary
  : NUMBER
  | STRING
  | OQUOTE templateBody CQUOTE
  | OHEREDOC templateBody CHEREDOC
  | LBRACK (FOR forIntro COLON expression (IF expression)? | (expression (COMMA expression?)*)?) RBRACK
  | LBRACE (FOR forIntro COLON expression ARROW expression ELLIPSIS? (IF expression)?
           | (objectItem | COMMA | NL)*) RBRACE
  | FUNCTION_NAME LPAREN (expression (COMMA expression?)* ELLIPSIS?)? RPAREN
  | IDENT
  | LPAREN expression RPAREN
  ;

forIntro : IDENT (COMMA IDENT)? IN expression ;

objectItem
  : (IDENT | STRING | OQUOTE templateBody CQUOTE | NUMBER | LPAREN expression RPAREN)
    (ASSIGN | COLON) expression
  ;

// ---- Templates (quoted strings, heredocs, template files)

templateBody
  : (TEMPLATE_LIT | TEMPLATE_INTERP expression TEMPLATE_SEAL | templateIf | templateFor)* ;
templateIf
  : CTRL_IF expression TEMPLATE_SEAL templateBody
    (CTRL_ELSE TEMPLATE_SEAL templateBody)?
    CTRL_ENDIF TEMPLATE_SEAL
  ;
templateFor
  : CTRL_FOR IDENT (COMMA IDENT)? IN expression TEMPLATE_SEAL templateBody
    CTRL_ENDFOR TEMPLATE_SEAL
  ;

// ANTLR generates OrchLexer only for a grammar with a lexer rule; it is never used (see top).
UNUSED_LEXER_RULE : '`' ;
