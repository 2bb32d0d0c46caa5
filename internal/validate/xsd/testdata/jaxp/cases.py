import os
T=open("template.xml").read()
cases=[]
dates=["2026-01-15","2026-1-15","2026-01-15Z","2026-01-15+14:00","2026-01-15-14:00","2026-01-15+14:30","2026-01-15+13:59","2026-01-15+1:00","-2026-01-15","0001-01-01","0000-01-01","10000-01-01","010000-01-01","2000-02-29","1900-02-29","2026-04-31"," 2026-01-15 ","2026-01-15T00:00:00","2026/01/15","","2026-01-15z","2026-01-15 Z","+2026-01-15","2026-00-10","2026-12-31","99999-12-31","-0001-02-29","-0004-02-29","-0005-02-29","2026-01-15+00:00","2026-01-15-00:00","\t2026-01-15\n","2026-01-15+24:00","2026-01-15+05:60"]
times=["12:00:00","24:00:00","24:00:00.0","24:00:00.1","23:59:60","12:00","12:00:00.","12:00:00.5","12:00:00.123456789Z","12:00:00+02:00","1:00:00","12:00:00 ","T12:00:00","25:00:00","00:00:00-14:00","12:00:00+14:01"]
decs=["1","-1","+1","1.","-.5",".","+","-","1.5e2","1,5"," 1 ","1 5","0001.2300","","NaN","INF","١","1_000","--1","+.0","٫"]
bools=["true","false","1","0","True","TRUE","yes"," true ","","2","01"]
b64=["QUJD","QUI=","QQ==","QR==","QUJ","QU JD","Q U J D","QUJD\nRUZH","====","Q===","QUJD====","QUI=QUJD","QUJDRA==","QUJDRB==","QUJDRE=","QUJDREU=","QUJDREV=","","A","AB==","AAA=","ABCD EFGH","_-==","QUJD ","  QUJD  ","QU=D"]
langs=["ro","en-GB","x-1","1a","","en-","-en","abcdefghi","en-abcdefghi","ro-RO-x","ro_RO"," ro ","i-klingon","en--GB"]
uris=["http://x","a b","%zz","http://[::1","::","#frag","\\\\x","http://x/ă"]
for v in dates: cases.append(("date",[("<cbc:IssueDate>2026-01-15</cbc:IssueDate>","<cbc:IssueDate>%s</cbc:IssueDate>"%v)]))
for v in times: cases.append(("time",[("<!--TIME-->","<cbc:IssueTime>%s</cbc:IssueTime>"%v)]))
for v in decs: cases.append(("dec",[(">10.00</cbc:PayableAmount>",">%s</cbc:PayableAmount>"%v)]))
for v in bools: cases.append(("bool",[("<!--COPY-->","<cbc:CopyIndicator>%s</cbc:CopyIndicator>"%v)]))
for v in b64: cases.append(("b64",[("<!--ADR-->",'<cac:AdditionalDocumentReference><cbc:ID>1</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="a.pdf">%s</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>'%v)]))
for v in langs: cases.append(("lang",[("<cbc:Note>one</cbc:Note>",'<cbc:Note languageID="%s">one</cbc:Note>'%v)]))
for v in uris: cases.append(("uri",[("<cbc:ID>INV-1</cbc:ID>",'<cbc:ID schemeURI="%s">INV-1</cbc:ID>'%v)]))
# attribute value whitespace / required attr empty
for v in ['currencyID=""','currencyID=" "','currencyID="RON" currencyCodeListVersionID="1"','currencyID="RON" xml:lang="ro"','currencyID="RON" xsi:type="cbc:PayableAmountType"','currencyID="RON" xsi:nil="false"','currencyID="RON" xsi:foo="1"','currencyID="RON" xsi:schemaLocation="a b"','currencyID="RON" xmlns:q="urn:q" q:a="1"']:
    cases.append(("attr",[('currencyID="RON">10.00</cbc:PayableAmount>','%s>10.00</cbc:PayableAmount>'%v)]))
# well-formedness
wf=[('<cbc:Note>one</cbc:Note>','<cbc:Note>a]]>b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a&#0;b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a&#x1F;b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a&#xD800;b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>&#x10FFFF;</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a&nbsp;b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a&amp b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note><!-- a -- b -->one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note><?pi x?>one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note><?xml x?>one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note a="<">one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note languageID="ro" languageID="ro">one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note xmlns:xml="http://www.w3.org/XML/1998/namespace">one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note xmlns:p="">one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note xmlns="">one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>one</cbc:Note >'),('<cbc:Note>one</cbc:Note>','<cbc:Note >one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>one</cbc:Note\n>'),('<cbc:Note>one</cbc:Note>','<cbc:Note/>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a\x01b</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>a\x7fb</cbc:Note>'),('<cbc:Note>one</cbc:Note>',"<cbc:Note a='1'>one</cbc:Note>"),('<cbc:Note>one</cbc:Note>','<cbc:Note a=1>one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note a>one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>one</cbc:Note><!---->'),('<cbc:Note>one</cbc:Note>','<cbc:Note>one</cbc:Note><!--->'),
('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.1" encoding="UTF-8"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="2.0" encoding="UTF-8"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml encoding="UTF-8"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="UTF-8" standalone="maybe"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0"  encoding="utf-8" ?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet href="a"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?XML version="1.0"?>'),('<?xml version="1.0" encoding="UTF-8"?>',''),('<?xml version="1.0" encoding="UTF-8"?>','\n<?xml version="1.0" encoding="UTF-8"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="ISO-8859-1"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="windows-1250"?>'),('<?xml version="1.0" encoding="UTF-8"?>','<?xml version="1.0" encoding="US-ASCII"?>'),('</Invoice>','</Invoice>\n<!-- end -->\n<?pi?>\n'),('</Invoice>','</Invoice>x'),('</Invoice>','</Invoice>&amp;'),('</Invoice>',''),
('<cbc:Note>one</cbc:Note>','<cbc:Note><![CDATA[a]]></cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>\xc3\x28</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>\xef\xbf\xbe</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>&#65534;</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Nöte>one</cbc:Nöte>'),('<cbc:Note>one</cbc:Note>','<cbc:1Note>one</cbc:1Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>one</cbc:Note><cbc:Note>one</cbc:Note>'),('<cbc:Note>one</cbc:Note>','<cbc:Note>o\rne</cbc:Note>'),
]
for a,b in wf:
    if a not in T: raise SystemExit("missing "+a)
    cases.append(("wf",[(a,b)]))
# extensions
ext=['<x:A xmlns:x="urn:x"/>','<x:A xmlns:x="urn:x"/><x:B xmlns:x="urn:x"/>','','<cbc:Note>n</cbc:Note>','<cbc:IssueDate>x</cbc:IssueDate>','<cac:Party><cbc:Foo/></cac:Party>','<A/>','<ext:UBLExtensions/>','<x:A xmlns:x="urn:x"><cbc:IssueDate>x</cbc:IssueDate></x:A>','<x:A xmlns:x="urn:x" foo="1"><cbc:Note a="1">n</cbc:Note></x:A>','text<x:A xmlns:x="urn:x"/>',
 '<sig:UBLDocumentSignatures xmlns:sig="urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2"/>',
 '<sig:UBLDocumentSignatures xmlns:sig="urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2"><sac:SignatureInformation xmlns:sac="urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2"/></sig:UBLDocumentSignatures>',
 '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>',
 '<xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#"/>']
for v in ext:
    cases.append(("ext",[("<cbc:CustomizationID>","<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>%s</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>"%v)]))
cases.append(("ext",[("<cbc:CustomizationID>","<ext:UBLExtensions><ext:UBLExtension><cbc:ID>1</cbc:ID><ext:ExtensionURI>u</ext:ExtensionURI><ext:ExtensionContent><x:A xmlns:x='urn:x'/></ext:ExtensionContent></ext:UBLExtension><ext:UBLExtension><ext:ExtensionContent><x:A xmlns:x='urn:x'/></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>")]))
# roots
cases.append(("root",[("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"","<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\""),("</Invoice>","</CreditNote>")]))
cases.append(("root",[("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"","<cac:Party xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\""),("</Invoice>","</cac:Party>")]))
import base64
edits_out=open("edits.tsv","w")
for i,(k,edits) in enumerate(cases):
    doc=T
    for a,b in edits:
        assert a in doc, a
        doc=doc.replace(a,b,1)
    enc="utf-8"
    if 'ISO-8859-1' in doc or 'windows-1250' in doc or 'US-ASCII' in doc: enc="latin-1"
    data=doc.encode("utf-8", "surrogateescape") if enc=="utf-8" else doc.encode(enc, "replace")
    open("val/%03d_%s.xml"%(i,k),"wb").write(data)
    ee=[]
    for a,b in edits:
        ab=a.encode("utf-8","surrogateescape") if enc=="utf-8" else a.encode(enc,"replace")
        bb=b.encode("utf-8","surrogateescape") if enc=="utf-8" else b.encode(enc,"replace")
        ee.append(base64.b64encode(ab).decode()+" "+base64.b64encode(bb).decode())
    edits_out.write("val/%03d_%s.xml\t%s\t%s\n"%(i,k,k,",".join(ee)))
print(len(cases))
