package io.nificrm.processors.push;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Salesforce outbound messages: a SOAP {@code notifications} envelope (namespace {@code http://soap.sforce.com/2005/09/outbound})
 * with the sending {@code OrganizationId} and up to 100 {@code Notification}s, each with its own {@code Id} and one
 * {@code sObject} (its type in {@code xsi:type}, e.g. {@code sf:Contact}) holding the fields the outbound message selects.
 * Outbound messages are not signed: a request is accepted when its OrganizationId is the configured one (15- or
 * 18-character ids compare on their case-sensitive 15-character form); TLS with a required client certificate (Salesforce's
 * own, or one uploaded to it) authenticates the sender. The {@code SessionId} a message may carry is never read.
 * Salesforce resends a message until it gets {@code <Ack>true</Ack>}; it is sent only after the FlowFile is committed.
 * <p>
 * Salesforce Change Data Capture and Platform Events travel over the Pub/Sub API (gRPC, HTTP/2, pull-based), which is
 * not an HTTP callback: they are out of scope of this listener.
 */
public final class SalesforceOutboundFormat implements WebhookFormat {
    static final String OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound";
    private static final String XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
    private static final String ACK = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            + "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
            + "<notificationsResponse xmlns=\"" + OUTBOUND_NS + "\"><Ack>true</Ack></notificationsResponse>"
            + "</soapenv:Body></soapenv:Envelope>";
    private static final String CONTENT_TYPE = "text/xml; charset=UTF-8";

    private final String organizationId;

    public SalesforceOutboundFormat(String organizationId) {
        this.organizationId = organizationId.trim();
    }

    @Override
    public String system() {
        return "salesforce";
    }

    @Override
    public Parsed parse(InboundRequest request) throws Rejected {
        Document document = read(request.body());
        Element notifications = first(document.getDocumentElement(), "notifications");
        if (notifications == null) {
            throw new Rejected(400, "malformed", "The SOAP body holds no outbound-message notifications");
        }
        String organization = childText(notifications, "OrganizationId");
        if (organization == null) {
            throw new Rejected(400, "malformed", "The outbound message has no OrganizationId");
        }
        if (!sameOrganization(organizationId, organization.trim())) {
            throw new Rejected(403, "wrong organization", "The outbound message comes from another organization");
        }
        List<ChangeEvent> events = new ArrayList<>();
        int skipped = 0;
        for (Node n = notifications.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element notification && "Notification".equals(notification.getLocalName())) {
                ChangeEvent event = event(organization.trim(), notification);
                if (event == null) {
                    skipped++;
                } else {
                    events.add(event);
                }
            }
        }
        return new Parsed(events, null, skipped);
    }

    /** 15-character ids are the case-sensitive prefix of the 18-character form. */
    static boolean sameOrganization(String expected, String given) {
        String a = expected.length() == 18 && given.length() == 15 ? expected.substring(0, 15) : expected;
        String b = given.length() == 18 && expected.length() == 15 ? given.substring(0, 15) : given;
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static ChangeEvent event(String organization, Element notification) {
        String notificationId = childText(notification, "Id");
        Element sObject = child(notification, "sObject");
        if (notificationId == null || sObject == null) {
            return null;
        }
        String type = sObject.getAttributeNS(XSI_NS, "type");
        String object = type == null || type.isBlank() ? null : type.substring(type.indexOf(':') + 1);
        Map<String, String> fields = new LinkedHashMap<>();
        flatten(sObject, "", fields);
        String id = fields.get("Id");
        if (object == null || id == null || id.isBlank()) {
            return null;
        }
        String modified = fields.get("LastModifiedDate") != null ? fields.get("LastModifiedDate") : fields.get("SystemModstamp");
        return new ChangeEvent("salesforce", object, "upsert", id, null, instant(modified), "salesforce/" + organization,
                notificationId, "salesforce:" + organization + ":" + notificationId, fields);
    }

    /** Leaf elements by local name; a related record's fields as {@code Relationship.Field}. */
    private static void flatten(Element element, String prefix, Map<String, String> into) {
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element field)) {
                continue;
            }
            String name = prefix + field.getLocalName();
            if ("fieldsToNull".equals(field.getLocalName())) {
                into.put(prefix + field.getTextContent().trim(), null);
            } else if ("true".equals(field.getAttributeNS(XSI_NS, "nil"))) {
                into.put(name, null);
            } else if (child(field, null) != null) {
                flatten(field, name + ".", into);
            } else {
                into.put(name, field.getTextContent());
            }
        }
    }

    private static Instant instant(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text.trim()).toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Document read(byte[] body) throws Rejected {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new org.xml.sax.ErrorHandler() {
                @Override
                public void warning(org.xml.sax.SAXParseException e) {
                    // Warnings do not make a message invalid.
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return builder.parse(new ByteArrayInputStream(body));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("No secure XML parser available", e);
        } catch (SAXException | IOException e) {
            throw new Rejected(400, "malformed", "The body is not a well-formed SOAP message");
        }
    }

    /** The first element with this local name, depth-first. */
    private static Element first(Element root, String localName) {
        if (root == null) {
            return null;
        }
        if (localName.equals(root.getLocalName()) && OUTBOUND_NS.equals(root.getNamespaceURI())) {
            return root;
        }
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                Element found = first(e, localName);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** The first child element with this local name (any when null). */
    private static Element child(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (localName == null || localName.equals(e.getLocalName()))) {
                return e;
            }
        }
        return null;
    }

    private static String childText(Element parent, String localName) {
        Element e = child(parent, localName);
        if (e == null || "true".equals(e.getAttributeNS(XSI_NS, "nil"))) {
            return null;
        }
        String text = e.getTextContent();
        return text == null || text.isBlank() ? null : text.trim();
    }

    @Override
    public Answer accepted() {
        return Answer.text(200, CONTENT_TYPE, ACK);
    }

    /** A SOAP fault: Salesforce treats anything but an Ack as a failed delivery and resends later. */
    @Override
    public Answer refused(int status, String reason, String message) {
        String fault = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault>"
                + "<faultcode>" + (status >= 500 ? "soapenv:Server" : "soapenv:Client") + "</faultcode>"
                + "<faultstring>" + escape(reason + ": " + message) + "</faultstring>"
                + "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
        return Answer.text(status, CONTENT_TYPE, fault);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
