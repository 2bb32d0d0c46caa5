# Independent reference extraction for expected.tsv (Python stdlib ElementTree,
# namespace-aware), same rules as /work/shared/corpus/FIELDS.tsv. Run from this directory:
#   python3 make_expected.py
# It never parses refused-* files (ElementTree would expand their entities).
import glob, os, xml.etree.ElementTree as ET
CAC='{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}'
CBC='{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}'
cols='file	document_type	number	issue_date	due_date	type_code	currency	tax_currency	seller.name	seller.vat_id	seller.legal_id	buyer.name	buyer.vat_id	buyer.legal_id	totals.line_extension	totals.tax_exclusive	totals.tax_inclusive	totals.allowances	totals.charges	totals.prepaid	totals.rounding	totals.payable	totals.vat	lines	vat_breakdown	attachments'.split('\t')
def tx(e,path):
    if e is None: return ''
    x=e.find(path)
    return (x.text or '').strip() if x is not None else ''
def party(p):
    if p is None: return ('','','')
    name=tx(p,CAC+'PartyLegalEntity/'+CBC+'RegistrationName') or tx(p,CAC+'PartyName/'+CBC+'Name')
    vat=''
    for ts in p.findall(CAC+'PartyTaxScheme'):
        if tx(ts,CAC+'TaxScheme/'+CBC+'ID')=='VAT': vat=tx(ts,CBC+'CompanyID'); break
    return (name,vat,tx(p,CAC+'PartyLegalEntity/'+CBC+'CompanyID'))
rows=[]
errors={'refused-billion-laughs.xml':'DOCTYPE','refused-xxe-external-entity.xml':'DOCTYPE','refused-not-well-formed.xml':'not well-formed',
 'refused-wrong-root.xml':'is not a UBL 2.1 Invoice or CreditNote','refused-too-deep.xml':'deeper than','refused-invalid-utf8.xml':'UTF-8','refused-empty.xml':'empty'}
for f in sorted(glob.glob('*.xml')):
    if f in errors:
        rows.append([f,'ERROR',errors[f]]+['']*(len(cols)-3)); continue
    r=ET.parse(f).getroot()
    tag=r.tag.split('}')[1]
    cn=tag=='CreditNote'
    cur=tx(r,CBC+'DocumentCurrencyCode')
    due=tx(r,CAC+'PaymentMeans/'+CBC+'PaymentDueDate') if cn else tx(r,CBC+'DueDate')
    s=party(r.find(CAC+'AccountingSupplierParty/'+CAC+'Party')); b=party(r.find(CAC+'AccountingCustomerParty/'+CAC+'Party'))
    lmt=r.find(CAC+'LegalMonetaryTotal')
    tt=[t for t in r.findall(CAC+'TaxTotal') if t.find(CBC+'TaxAmount').get('currencyID')==cur][0]
    att=sum(1 for a in r.findall(CAC+'AdditionalDocumentReference') if a.find(CAC+'Attachment/'+CBC+'EmbeddedDocumentBinaryObject') is not None)
    row=[f,tag,tx(r,CBC+'ID'),tx(r,CBC+'IssueDate')[:10],due[:10],tx(r,CBC+('CreditNoteTypeCode' if cn else 'InvoiceTypeCode')),cur,tx(r,CBC+'TaxCurrencyCode'),*s,*b]
    row+=[tx(lmt,CBC+x) for x in ['LineExtensionAmount','TaxExclusiveAmount','TaxInclusiveAmount','AllowanceTotalAmount','ChargeTotalAmount','PrepaidAmount','PayableRoundingAmount','PayableAmount']]
    row+=[tx(tt,CBC+'TaxAmount'),str(len(r.findall(CAC+('CreditNoteLine' if cn else 'InvoiceLine')))),str(len(tt.findall(CAC+'TaxSubtotal'))),str(att)]
    rows.append(row)
with open('expected.tsv','w') as o:
    o.write('\t'.join(cols)+'\n')
    for r in rows: o.write('\t'.join(r)+'\n')
