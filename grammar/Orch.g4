// The orch language (HCL syntax): parser rules.
//
// Tokens come from the hand-written scanner in compiler/lex.cc (HCL's lexical structure is
// context-sensitive: nested string templates, heredocs, legacy `.0` indexes), filtered by
// compiler/parse_tokens.cc: comments dropped, newlines kept only where they end attributes
// (inside `{ }` bodies and object constructors, not inside `( )`, `[ ]`, `${ }` or `{for ...}`),
// runs of newlines collapsed into one NL, an NL inserted before EOF, and the identifiers
// `for in if else endif endfor` given keyword token types (they stay usable as names: see ident).
//
// The parser recurses only through brackets, templates, unary operators and conditionals; the
// token-stream check (parse_tokens.cc) bounds all of those before parsing, so hostile nesting
// cannot overflow the stack.
grammar Orch;

tokens {
  NL, IDENT, NUMBER,
  OQUOTE, CQUOTE, OHEREDOC, CHEREDOC,
  TEMPLATE_LIT, TEMPLATE_INTERP, TEMPLATE_CONTROL, TEMPLATE_SEAL,
  LBRACE, RBRACE, LBRACK, RBRACK, LPAREN, RPAREN,
  COMMA, DOT, ELLIPSIS, COLON, QUESTION, ASSIGN, ARROW,
  PLUS, MINUS, STAR, SLASH, PERCENT,
  EQ, NEQ, LT, LE, GT, GE, AND, OR, NOT,
  FOR, IN, IF, ELSE, ENDIF, ENDFOR
}

// ---- Entry points

configFile : NL? bodyItem* EOF ;
expressionOnly : NL? expression NL? EOF ;
templateOnly : templateBody EOF ;

// ---- Bodies

bodyItem : attribute | block ;
attribute : ident ASSIGN expression NL ;
block : ident blockLabel* LBRACE blockBody RBRACE NL ;
blockLabel : ident | stringLit ;
stringLit : OQUOTE templateBody CQUOTE ;
blockBody : NL bodyItem* | oneLineAttribute? ;
oneLineAttribute : ident ASSIGN expression ;

// ---- Expressions
//
// One left-recursive rule: ANTLR turns it into precedence climbing, so a primary expression
// costs two parse-tree nodes and operator chains are loops. Alternatives listed first bind
// tighter: traversals, then unary operators, then `* / %`, `+ -`, comparisons, equality, `&&`,
// `||`, and the conditional last.

expression
  : primary                                          # primaryExpr
  | expression DOT ident                             # getAttr
  | expression DOT NUMBER                            # legacyIndex
  | expression DOT STAR                              # attrSplat
  | expression LBRACK STAR RBRACK                    # fullSplat
  | expression LBRACK expression RBRACK              # index
  | (NOT | MINUS) expression                         # unary
  | expression (STAR | SLASH | PERCENT) expression   # binary
  | expression (PLUS | MINUS) expression             # binary
  | expression (LT | LE | GT | GE) expression        # binary
  | expression (EQ | NEQ) expression                 # binary
  | expression AND expression                        # binary
  | expression OR expression                         # binary
  | <assoc=right> expression QUESTION expression COLON expression  # conditional
  ;

primary
  : NUMBER                                # number
  | OQUOTE templateBody CQUOTE            # quoted
  | OHEREDOC templateBody CHEREDOC        # heredoc
  | LBRACK FOR forIntro COLON expression forCond? RBRACK                            # forTuple
  | LBRACE FOR forIntro COLON expression ARROW expression ELLIPSIS? forCond? RBRACE # forObject
  | LBRACK (expression (COMMA expression)* COMMA?)? RBRACK # tuple
  | LBRACE NL? (objectItem (objectSep objectItem)* objectSep?)? RBRACE # object
  | ident LPAREN (expression (COMMA expression)* (COMMA | ELLIPSIS)?)? RPAREN # call
  | ident                                 # variable
  | LPAREN expression RPAREN              # parens
  ;

forIntro : ident (COMMA ident)? IN expression ;
forCond : IF expression ;

objectItem : objectKey (ASSIGN | COLON) expression ;
objectKey
  : ident                                 # identKey
  | OQUOTE templateBody CQUOTE            # stringKey
  | NUMBER                                # numberKey
  | LPAREN expression RPAREN              # exprKey
  ;
objectSep : COMMA NL? | NL ;

// Names: the contextual keywords are ordinary names everywhere a name is expected.
ident : IDENT | FOR | IN | IF | ELSE | ENDIF | ENDFOR ;

// ---- Templates (quoted strings, heredocs, template files)

templateBody : templatePart* ;
templatePart
  : TEMPLATE_LIT                                        # templateLit
  | TEMPLATE_INTERP expression TEMPLATE_SEAL            # templateInterp
  | TEMPLATE_CONTROL IF expression TEMPLATE_SEAL templateBody
    (TEMPLATE_CONTROL ELSE TEMPLATE_SEAL templateBody)?
    TEMPLATE_CONTROL ENDIF TEMPLATE_SEAL                # templateIf
  | TEMPLATE_CONTROL FOR ident (COMMA ident)? IN expression TEMPLATE_SEAL templateBody
    TEMPLATE_CONTROL ENDFOR TEMPLATE_SEAL               # templateFor
  ;

// ANTLR generates OrchLexer only for a grammar with a lexer rule; it is never used (see top).
UNUSED_LEXER_RULE : '`' ;
