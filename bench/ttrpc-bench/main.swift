import TTRPC
print("placeholder")
