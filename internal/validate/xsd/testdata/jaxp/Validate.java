import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.*;
import org.xml.sax.*;
import java.io.*;
import java.nio.file.*;
import java.util.*;

public class Validate {
  public static void main(String[] a) throws Exception {
    SchemaFactory sf = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
    String dir = a[0];
    Schema inv = sf.newSchema(new StreamSource(new File(dir + "/maindoc/UBL-Invoice-2.1.xsd")));
    Schema cn = sf.newSchema(new StreamSource(new File(dir + "/maindoc/UBL-CreditNote-2.1.xsd")));
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
    String f;
    while ((f = r.readLine()) != null) {
      byte[] b = Files.readAllBytes(Paths.get(f));
      String head = new String(b, 0, Math.min(b.length, 4000), "UTF-8");
      Schema s = head.contains("CreditNote-2") && !head.contains("Invoice-2\"") ? cn : inv;
      Validator v = s.newValidator();
      final List<String> errs = new ArrayList<>();
      v.setErrorHandler(new ErrorHandler() {
        public void warning(SAXParseException e) {}
        public void error(SAXParseException e) { errs.add(e.getLineNumber() + ": " + e.getMessage()); }
        public void fatalError(SAXParseException e) throws SAXException { errs.add("FATAL " + e.getLineNumber() + ": " + e.getMessage()); throw e; }
      });
      String out;
      try { v.validate(new StreamSource(new ByteArrayInputStream(b))); } catch (SAXException e) { if (errs.isEmpty()) errs.add("FATAL " + e.getMessage()); } catch (Exception e) { errs.add("FATAL " + e); }
      // Not well-formed anywhere (a fatal error ends the parse, so it is the last) is XML; the message is the first error.
      out = errs.isEmpty() ? "valid\t" : (errs.get(errs.size() - 1).startsWith("FATAL") ? "XML\t" : "XSD\t") + errs.get(0).replace('\t',' ').replace('\n',' ');
      System.out.println(f + "\t" + out);
    }
  }
}
